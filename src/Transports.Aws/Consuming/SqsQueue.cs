using Messaging.Adapters.Aws.Topology;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Aws.Consuming;

/// <summary>
/// Sends to and consumes SQS queues; a subscription's queue <c>&lt;topic&gt;.&lt;subscription&gt;</c> is a queue like
/// any other, so a send to it reaches that subscription alone (dead-letter redrive).
/// </summary>
internal sealed class SqsQueue(AwsTransport transport) : IQueue
{
    public ValueTask SendAsync(string queue, Envelope message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
        transport.CapabilitiesOf(queue).EnsureFits(message, queue);
        return new(transport.Sender.SendAsync(queue, [message], batch: false, transport.Options.ProvisionOnFirstUse, cancellationToken));
    }

    public ValueTask SendBatchAsync(string queue, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
        transport.CapabilitiesOf(queue).EnsureBatchFits(messages, queue);
        return messages.Count == 0 ? ValueTask.CompletedTask : new(transport.Sender.SendAsync(queue, messages, batch: true, transport.Options.ProvisionOnFirstUse, cancellationToken));
    }

    public async Task<IConsumer> ConsumeAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new ConsumerOptions();
        options.Validate();
        CapabilityGuard.EnsureConsumer(transport.CapabilitiesOf(queue), transport.Name, options);
        var info = await transport.Provisioner.QueueAsync(queue, transport.Options.ProvisionOnFirstUse, cancellationToken).ConfigureAwait(false);
        return await StartConsumerAsync(transport, info, handler, options, topic: null, subscription: null, filter: null, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<IConsumer> StartConsumerAsync(AwsTransport transport, QueueInfo queue, MessageHandler handler, ConsumerOptions options, string? topic, string? subscription, SubscriptionFilter? filter, CancellationToken cancellationToken)
    {
        var retry = options.Retry ?? transport.Options.DefaultRetry;
        var receiver = new SqsReceiver(transport, queue, topic, subscription, retry);
        var consumer = transport.CreateConsumer(receiver, handler, retry, new ConsumerEngineSettings
        {
            Source = queue.Name,
            Transport = transport.Name,
            Capabilities = transport.CapabilitiesOf(queue.Name),
            MaxInFlight = options.MaxInFlight,
            Ordering = options.Ordering,

            // A FIFO receive can return several messages of one group: the lanes run them one at a time, in order, and
            // a delayed retry waits in process holding its group's turn (later messages of the group already received
            // must not pass it).
            Lanes = options.Ordering == MessageOrdering.ByKey ? DeliveryLanes.ByKey : DeliveryLanes.None,

            // SNS has applied the filter policy; this catches messages whose headers travelled packed (see FilterPolicy).
            Filter = filter,
        });
        await consumer.StartAsync(cancellationToken).ConfigureAwait(false);
        transport.Consumers.Add(consumer, transport);
        return consumer;
    }
}

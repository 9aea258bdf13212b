using Messaging.Adapters.Transport;
using Messaging.Adapters.RabbitMq.Topology;

namespace Messaging.Adapters.RabbitMq.Consuming;

/// <summary>
/// Sends to and consumes RabbitMQ queues: a send is a mandatory publish to the default exchange with the queue's name
/// as routing key, confirmed by the broker.
/// </summary>
internal sealed class RabbitMqQueue(RabbitMqTransport transport) : IQueue
{
    public ValueTask SendAsync(string queue, Envelope message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        transport.ThrowIfDisposed();
        TopologyProvisioner.ValidateName(queue, "queue", nameof(queue));
        transport.Capabilities.EnsureFits(message, queue);
        return new(transport.SendToAsync(DestinationKind.Queue, queue, [message], batch: false, cancellationToken));
    }

    public ValueTask SendBatchAsync(string queue, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        TopologyProvisioner.ValidateName(queue, "queue", nameof(queue));
        transport.Capabilities.EnsureBatchFits(messages, queue);
        return new(transport.SendToAsync(DestinationKind.Queue, queue, messages, batch: true, cancellationToken));
    }

    public async Task<IConsumer> ConsumeAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        TopologyProvisioner.ValidateName(queue, "queue", nameof(queue));
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new ConsumerOptions();
        options.Validate();
        Transport.CapabilityGuard.EnsureConsumer(transport.Capabilities, transport.Name, options);
        if (transport.Options.ProvisionOnFirstUse)
        {
            await transport.Provisioner.EnsureQueueAsync(queue, cancellationToken).ConfigureAwait(false);
        }

        return await StartConsumerAsync(transport, queue, handler, options, topic: null, subscription: null, filter: null, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<IConsumer> StartConsumerAsync(RabbitMqTransport transport, string queue, MessageHandler handler, ConsumerOptions options, string? topic, string? subscription, SubscriptionFilter? filter, CancellationToken cancellationToken)
    {
        var receiver = new RabbitMqQueueReceiver(transport, queue, options, topic, subscription);
        var consumer = transport.CreateConsumer(receiver, handler, options.Retry, new ConsumerEngineSettings
        {
            Source = queue,
            Transport = transport.Name,
            Capabilities = transport.Capabilities,
            MaxInFlight = options.MaxInFlight,
            Ordering = options.Ordering,
            Lanes = options.Ordering == MessageOrdering.ByKey ? DeliveryLanes.ByKey : DeliveryLanes.None,

            // The broker matches the filter's headers; this catches a binding of an earlier filter and headers the
            // broker cannot match (x-...).
            Filter = filter,
        });
        await consumer.StartAsync(cancellationToken).ConfigureAwait(false);
        transport.Consumers.Add(consumer, transport);
        return consumer;
    }
}

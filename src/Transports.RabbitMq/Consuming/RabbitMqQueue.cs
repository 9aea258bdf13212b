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
        // Ordering by key must not let a delayed retry step aside for the next message of its key, so the wait
        // happens in the consumer, holding the key's turn.
        var pipeline = transport.CreatePipeline(handler, options.Retry, holdDelayedRetries: options.Ordering == MessageOrdering.ByKey);
        var consumer = new RabbitMqQueueConsumer(transport, queue, pipeline, options, topic, subscription, filter);
        await consumer.StartAsync(cancellationToken).ConfigureAwait(false);
        transport.Track(consumer);
        return consumer;
    }
}

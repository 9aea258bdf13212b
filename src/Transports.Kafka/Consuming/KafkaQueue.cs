using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Kafka.Consuming;

/// <summary>
/// Queues as topics read by one shared consumer group named after the queue, from the beginning. A send to a
/// subscription queue (<c>&lt;topic&gt;.&lt;subscription&gt;</c>) lands in that subscription's own topic, which only
/// its group reads.
/// </summary>
internal sealed class KafkaQueue(KafkaTransport transport) : IQueue
{
    public ValueTask SendAsync(string queue, Envelope message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
        transport.Capabilities.EnsureFits(message, queue);
        return new(transport.SendToTopicAsync(queue, [message], batch: false, cancellationToken));
    }

    public ValueTask SendBatchAsync(string queue, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
        transport.Capabilities.EnsureBatchFits(messages, queue);
        return new(transport.SendToTopicAsync(queue, messages, batch: true, cancellationToken));
    }

    public async Task<IConsumer> ConsumeAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new ConsumerOptions();
        options.Validate();
        CapabilityGuard.EnsureConsumer(transport.Capabilities, transport.Name, options);
        await transport.Topics.EnsureAsync(queue, cancellationToken).ConfigureAwait(false);
        var reading = new GroupReading
        {
            GroupId = queue,
            Topics = [queue],
            Source = queue,
            DeadLetterTopic = DeadLetterQueues.TargetOf(queue),
        };
        return await StartAsync(transport, reading, handler, options, filter: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a queue or subscription consumer: up to <see cref="ConsumerOptions.MaxInFlight"/> messages at
    /// once, of one partition too; with ordering by key, one message per key at a time.</summary>
    internal static Task<IConsumer> StartAsync(KafkaTransport transport, GroupReading reading, MessageHandler handler, ConsumerOptions options, SubscriptionFilter? filter, CancellationToken cancellationToken) =>
        transport.StartConsumerAsync(
            new KafkaGroupReceiver(transport, reading, streamStarts: null),
            handler,
            options.Retry,
            new ConsumerEngineSettings
            {
                Source = reading.Source,
                Transport = transport.Name,
                Capabilities = transport.Capabilities,
                MaxInFlight = options.MaxInFlight,
                Ordering = options.Ordering,
                Lanes = options.Ordering == MessageOrdering.ByKey ? DeliveryLanes.ByKey : DeliveryLanes.None,
                Filter = filter,
            },
            cancellationToken);
}

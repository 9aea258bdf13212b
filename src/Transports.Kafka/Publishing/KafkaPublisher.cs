namespace Messaging.Adapters.Kafka.Publishing;

/// <summary>Publishes to Kafka topics; every subscription's group reads the topic.</summary>
internal sealed class KafkaPublisher(KafkaTransport transport) : IPublisher
{
    public ValueTask PublishAsync(string topic, Envelope message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        transport.ThrowIfDisposed();
        DestinationNames.Validate(topic, "topic", nameof(topic));
        transport.Capabilities.EnsureFits(message, topic);
        return new(transport.SendToTopicAsync(topic, [message], batch: false, cancellationToken));
    }

    public ValueTask PublishBatchAsync(string topic, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(topic, "topic", nameof(topic));
        transport.Capabilities.EnsureBatchFits(messages, topic);
        return new(transport.SendToTopicAsync(topic, messages, batch: true, cancellationToken));
    }
}

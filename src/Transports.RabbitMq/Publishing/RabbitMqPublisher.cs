using Messaging.Adapters.RabbitMq.Topology;

namespace Messaging.Adapters.RabbitMq.Publishing;

/// <summary>
/// Publishes to topics: a publish to the topic's headers exchange, confirmed by the broker. It is not mandatory, so a
/// topic without subscriptions takes the message and routes it nowhere, as the contract says.
/// </summary>
internal sealed class RabbitMqPublisher(RabbitMqTransport transport) : IPublisher
{
    public ValueTask PublishAsync(string topic, Envelope message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        transport.ThrowIfDisposed();
        TopologyProvisioner.ValidateName(topic, "topic", nameof(topic));
        transport.Capabilities.EnsureFits(message, topic);
        return new(transport.SendToAsync(DestinationKind.Topic, topic, [message], batch: false, cancellationToken));
    }

    public ValueTask PublishBatchAsync(string topic, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        TopologyProvisioner.ValidateName(topic, "topic", nameof(topic));
        transport.Capabilities.EnsureBatchFits(messages, topic);
        return new(transport.SendToAsync(DestinationKind.Topic, topic, messages, batch: true, cancellationToken));
    }
}

namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// Creates and deletes topics (headers exchanges), subscriptions and queues (with their dead-letter queues) and
/// streams, idempotently. The shared delay levels are never deleted with a queue.
/// </summary>
internal sealed class RabbitMqTopology(RabbitMqTransport transport) : ITopology
{
    private readonly TopologyDeletion _deletion = new(transport.Provisioner.Channel, transport.Provisioner.Declared);

    public Task EnsureAsync(Destination destination, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(destination);
        Validate(destination);
        var provisioner = transport.Provisioner;
        return destination.Kind switch
        {
            DestinationKind.Topic => provisioner.EnsureTopicAsync(destination.Name, cancellationToken, force: true),
            DestinationKind.Subscription => provisioner.EnsureSubscriptionAsync(destination.Name, destination.Subscription!, destination.Filter, cancellationToken, force: true),
            DestinationKind.Queue => provisioner.EnsureQueueAsync(destination.Name, cancellationToken, force: true),
            DestinationKind.Stream => provisioner.EnsureStreamAsync(destination.Name, cancellationToken, force: true),
            _ => throw new ArgumentOutOfRangeException(nameof(destination), destination.Kind, $"Unknown destination kind {destination.Kind}."),
        };
    }

    public Task DeleteAsync(Destination destination, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(destination);
        Validate(destination);
        return destination.Kind switch
        {
            DestinationKind.Topic => _deletion.DeleteTopicAsync(destination.Name, cancellationToken),
            DestinationKind.Subscription => _deletion.DeleteQueueAsync(DestinationNames.SubscriptionQueue(destination.Name, destination.Subscription!), cancellationToken),
            DestinationKind.Queue => _deletion.DeleteQueueAsync(destination.Name, cancellationToken),
            DestinationKind.Stream => _deletion.DeleteStreamAsync(destination.Name, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(destination), destination.Kind, $"Unknown destination kind {destination.Kind}."),
        };
    }

    private static void Validate(Destination destination)
    {
        var kind = destination.Kind.ToString().ToLowerInvariant();
        TopologyNames.ValidateName(destination.Name, destination.Kind == DestinationKind.Subscription ? "topic" : kind, nameof(destination));
        if (destination.Subscription is { } subscription)
        {
            TopologyNames.ValidateName(subscription, "subscription", nameof(destination));
        }
    }
}

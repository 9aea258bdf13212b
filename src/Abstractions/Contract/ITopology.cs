namespace Messaging.Adapters;

/// <summary>
/// Creates and deletes topics, subscriptions, queues and streams ahead of use.
/// </summary>
/// <remarks>
/// Publishing, sending and consuming provision what they need on first use, so calling this is optional: it is for
/// creating a subscription before the first publish, for deployment scripts, and for cleaning up. Both methods are
/// idempotent: ensuring what exists with the same definition, or deleting what does not exist, does nothing.
/// </remarks>
public interface ITopology
{
    /// <summary>Creates the destination if it does not exist (with its dead-letter queue, for queues and subscriptions).</summary>
    /// <remarks>A queue named by <see cref="DestinationNames.NewTemporaryQueue"/> is created as a temporary queue, without
    /// a dead-letter queue: where the transport declares <see cref="TransportCapabilities.TemporaryQueues"/> the broker
    /// removes it once its owner is gone.</remarks>
    /// <param name="destination">What to create.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the destination exists.</returns>
    /// <exception cref="TopologyConflictException">The destination exists with a definition that cannot be reconciled.</exception>
    Task EnsureAsync(Destination destination, CancellationToken cancellationToken = default);

    /// <summary>Deletes the destination and the messages in it (with its dead-letter queue, for queues and subscriptions).</summary>
    /// <param name="destination">What to delete.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the destination is gone.</returns>
    Task DeleteAsync(Destination destination, CancellationToken cancellationToken = default);
}

/// <summary>
/// Names one topic, subscription, queue or stream for <see cref="ITopology"/>.
/// </summary>
public sealed record Destination
{
    private Destination(DestinationKind kind, string name, string? subscription, SubscriptionFilter? filter)
    {
        Kind = kind;
        Name = name;
        Subscription = subscription;
        Filter = filter;
    }

    /// <summary>What kind of destination this is.</summary>
    public DestinationKind Kind { get; }

    /// <summary>The topic, queue or stream name.</summary>
    public string Name { get; }

    /// <summary>The subscription name, for <see cref="DestinationKind.Subscription"/>.</summary>
    public string? Subscription { get; }

    /// <summary>The subscription's filter, for <see cref="DestinationKind.Subscription"/>.</summary>
    public SubscriptionFilter? Filter { get; }

    /// <summary>A topic.</summary>
    /// <param name="name">The topic name.</param>
    /// <returns>The destination.</returns>
    public static Destination Topic(string name)
    {
        DestinationNames.Validate(name, "topic", nameof(name));
        return new(DestinationKind.Topic, name, null, null);
    }

    /// <summary>A durable subscription of a topic (its queue is <see cref="DestinationNames.SubscriptionQueue"/>).</summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="subscription">The subscription name.</param>
    /// <param name="filter">The subscription's filter, or <see langword="null"/> for every message.</param>
    /// <returns>The destination.</returns>
    public static Destination ForSubscription(string topic, string subscription, SubscriptionFilter? filter = null)
    {
        _ = DestinationNames.SubscriptionQueue(topic, subscription);
        return new(DestinationKind.Subscription, topic, subscription, filter);
    }

    /// <summary>A queue.</summary>
    /// <param name="name">The queue name.</param>
    /// <returns>The destination.</returns>
    public static Destination Queue(string name)
    {
        DestinationNames.Validate(name, "queue", nameof(name));
        return new(DestinationKind.Queue, name, null, null);
    }

    /// <summary>A stream.</summary>
    /// <param name="name">The stream name.</param>
    /// <returns>The destination.</returns>
    public static Destination Stream(string name)
    {
        DestinationNames.Validate(name, "stream", nameof(name));
        return new(DestinationKind.Stream, name, null, null);
    }

    /// <inheritdoc />
    public override string ToString() => Kind == DestinationKind.Subscription ? $"subscription '{Subscription}' of topic '{Name}'" : $"{Kind.ToString().ToLowerInvariant()} '{Name}'";
}

/// <summary>
/// The kinds of <see cref="Destination"/>.
/// </summary>
public enum DestinationKind
{
    /// <summary>A publish/subscribe topic.</summary>
    Topic = 0,

    /// <summary>A durable subscription of a topic.</summary>
    Subscription = 1,

    /// <summary>A point-to-point queue.</summary>
    Queue = 2,

    /// <summary>A replayable stream.</summary>
    Stream = 3,
}

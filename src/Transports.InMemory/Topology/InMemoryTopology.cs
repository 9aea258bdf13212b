using Messaging.Adapters.InMemory.Queues;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.InMemory;

/// <summary>
/// Creates and deletes in-memory topics, subscriptions, queues and streams, idempotently.
/// </summary>
internal sealed class InMemoryTopology(InMemoryTransport transport) : ITopology
{
    public Task EnsureAsync(Destination destination, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(destination);
        var broker = transport.Broker;
        switch (destination.Kind)
        {
            case DestinationKind.Topic:
                broker.GetOrAddTopic(destination.Name);
                break;
            case DestinationKind.Subscription:
                EnsureSubscription(transport, destination.Name, destination.Subscription!, destination.Filter);
                break;
            case DestinationKind.Queue:
                broker.GetOrAddQueue(destination.Name);
                if (DeadLetterQueues.HasOwn(destination.Name))
                {
                    broker.GetOrAddQueue(destination.Name + DestinationNames.DeadLetterSuffix);
                }

                break;
            case DestinationKind.Stream:
                broker.GetOrAddStream(destination.Name);
                break;
        }

        return Task.CompletedTask;
    }

    public Task DeleteAsync(Destination destination, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(destination);
        var broker = transport.Broker;
        switch (destination.Kind)
        {
            case DestinationKind.Topic:
                broker.DeleteTopic(destination.Name);
                break;
            case DestinationKind.Subscription:
                var queue = DestinationNames.SubscriptionQueue(destination.Name, destination.Subscription!);
                if (broker.TryGetTopic(destination.Name, out var topic))
                {
                    topic.Unbind(destination.Subscription!);
                }

                broker.DeleteQueue(queue);
                broker.DeleteQueue(queue + DestinationNames.DeadLetterSuffix);
                break;
            case DestinationKind.Queue:
                broker.DeleteQueue(destination.Name);
                broker.DeleteQueue(destination.Name + DestinationNames.DeadLetterSuffix);
                break;
            case DestinationKind.Stream:
                broker.DeleteStream(destination.Name);
                break;
        }

        return Task.CompletedTask;
    }

    /// <summary>Creates the subscription queue and its dead-letter queue and binds it to the topic with the filter
    /// (replacing an earlier filter, as re-binding does on a broker).</summary>
    internal static QueueState EnsureSubscription(InMemoryTransport transport, string topic, string subscription, SubscriptionFilter? filter)
    {
        var broker = transport.Broker;
        var name = DestinationNames.SubscriptionQueue(topic, subscription);
        var queue = broker.GetOrAddQueue(name);
        broker.GetOrAddQueue(name + DestinationNames.DeadLetterSuffix);

        // Standing in for a broker without server-side filtering: the binding takes every message of the topic, and
        // the subscription's consumers apply the filter (see InMemorySubscriber).
        broker.GetOrAddTopic(topic).Bind(subscription, queue, transport.Capabilities.ServerSideFiltering ? filter : null);
        return queue;
    }
}

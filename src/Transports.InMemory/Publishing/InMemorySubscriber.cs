using Messaging.Adapters.Transport;

namespace Messaging.Adapters.InMemory;

/// <summary>
/// Subscribes to in-memory topics: the subscription is the queue <c>&lt;topic&gt;.&lt;subscription&gt;</c> bound to the
/// topic with its filter; consuming it is consuming that queue. Without server-side filtering the binding keeps every
/// message and the consumer applies the filter.
/// </summary>
internal sealed class InMemorySubscriber(InMemoryTransport transport) : ISubscriber
{
    public Task<IConsumer> SubscribeAsync(string topic, string subscription, MessageHandler handler, SubscriptionOptions? options = null, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        var queueName = DestinationNames.SubscriptionQueue(topic, subscription);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new SubscriptionOptions();
        options.Validate();
        CapabilityGuard.EnsureConsumer(transport.Capabilities, transport.Name, options);
        var queue = InMemoryTopology.EnsureSubscription(transport, topic, subscription, options.Filter);
        var consumerFilter = transport.Capabilities.ServerSideFiltering ? null : options.Filter;
        return InMemoryQueue.StartConsumerAsync(transport, queue, handler, options, topic, subscription, consumerFilter);
    }
}

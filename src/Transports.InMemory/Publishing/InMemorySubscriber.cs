namespace Messaging.Adapters.InMemory;

/// <summary>
/// Subscribes to in-memory topics: the subscription is the queue <c>&lt;topic&gt;.&lt;subscription&gt;</c> bound to the
/// topic with its filter; consuming it is consuming that queue.
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
        var queue = InMemoryTopology.EnsureSubscription(transport.Broker, topic, subscription, options.Filter);
        return InMemoryQueue.StartConsumerAsync(transport, queue, handler, options, topic, subscription);
    }
}

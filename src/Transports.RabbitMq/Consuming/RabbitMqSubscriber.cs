using Messaging.Adapters.RabbitMq.Topology;

namespace Messaging.Adapters.RabbitMq.Consuming;

/// <summary>
/// Subscribes to topics: the subscription is the queue <c>&lt;topic&gt;.&lt;subscription&gt;</c> bound to the topic's
/// headers exchange with the filter's bindings; consuming it is consuming that queue.
/// </summary>
internal sealed class RabbitMqSubscriber(RabbitMqTransport transport) : ISubscriber
{
    public async Task<IConsumer> SubscribeAsync(string topic, string subscription, MessageHandler handler, SubscriptionOptions? options = null, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        TopologyProvisioner.ValidateName(topic, "topic", nameof(topic));
        TopologyProvisioner.ValidateName(subscription, "subscription", nameof(subscription));
        var queue = DestinationNames.SubscriptionQueue(topic, subscription);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new SubscriptionOptions();
        options.Validate();
        Transport.CapabilityGuard.EnsureConsumer(transport.Capabilities, transport.Name, options);
        if (transport.Options.ProvisionOnFirstUse)
        {
            await transport.Provisioner.EnsureSubscriptionAsync(topic, subscription, options.Filter, cancellationToken).ConfigureAwait(false);
        }

        return await RabbitMqQueue.StartConsumerAsync(transport, queue, handler, options, topic, subscription, options.Filter, cancellationToken).ConfigureAwait(false);
    }
}

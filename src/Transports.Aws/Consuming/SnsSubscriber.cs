using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Aws.Consuming;

/// <summary>
/// Subscribes to topics: the subscription is the SQS queue <c>&lt;topic&gt;.&lt;subscription&gt;</c> subscribed to the
/// SNS topic with raw message delivery and the filter as its filter policy; consuming it is consuming that queue.
/// </summary>
internal sealed class SnsSubscriber(AwsTransport transport) : ISubscriber
{
    public async Task<IConsumer> SubscribeAsync(string topic, string subscription, MessageHandler handler, SubscriptionOptions? options = null, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        var queue = DestinationNames.SubscriptionQueue(topic, subscription);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new SubscriptionOptions();
        options.Validate();
        CapabilityGuard.EnsureConsumer(transport.CapabilitiesOf(queue), transport.Name, options);
        var info = transport.Options.ProvisionOnFirstUse
            ? await transport.Provisioner.EnsureSubscriptionAsync(topic, subscription, options.Filter, cancellationToken).ConfigureAwait(false)
            : await transport.Provisioner.QueueAsync(queue, create: false, cancellationToken).ConfigureAwait(false);
        return await SqsQueue.StartConsumerAsync(transport, info, handler, options, topic, subscription, options.Filter, cancellationToken).ConfigureAwait(false);
    }
}

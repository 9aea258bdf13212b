using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Kafka.Consuming;

/// <summary>
/// Subscriptions as consumer groups <c>&lt;topic&gt;.&lt;subscription&gt;</c> reading the topic and the
/// subscription's own topic of the same name (what is sent to the subscription queue: redriven dead letters).
/// Kafka cannot filter: the consumer acknowledges unmatched messages without calling the handler.
/// </summary>
internal sealed class KafkaSubscriber(KafkaTransport transport) : ISubscriber
{
    public async Task<IConsumer> SubscribeAsync(string topic, string subscription, MessageHandler handler, SubscriptionOptions? options = null, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        var queue = DestinationNames.SubscriptionQueue(topic, subscription);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new SubscriptionOptions();
        options.Validate();
        CapabilityGuard.EnsureConsumer(transport.Capabilities, transport.Name, options);
        await transport.Groups.StartSubscriptionAsync(queue, topic, queue, cancellationToken).ConfigureAwait(false);
        var reading = new GroupReading
        {
            GroupId = queue,
            Topics = [topic, queue],
            Source = queue,
            DeadLetterTopic = DeadLetterQueues.TargetOf(queue),
            Topic = topic,
            Subscription = subscription,
        };
        return await KafkaQueue.StartAsync(transport, reading, handler, options, options.Filter, cancellationToken).ConfigureAwait(false);
    }
}

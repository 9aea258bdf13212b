namespace Messaging.Adapters;

/// <summary>
/// Subscribes to topics with named, durable subscriptions.
/// </summary>
/// <remarks>
/// <para>A subscription is a durable queue (<see cref="DestinationNames.SubscriptionQueue"/>) bound to the topic:
/// it keeps the topic's messages while no consumer is running, and every consumer that subscribes with the same
/// subscription name competes for them (each message is handled by one of them).</para>
/// <para>The subscription is created on first use, idempotently; it then receives messages published from that
/// moment on. Its filter is applied where the transport declares
/// <see cref="TransportCapabilities.ServerSideFiltering"/>, otherwise by the consumer, which acknowledges
/// unmatched messages without calling the handler.</para>
/// </remarks>
public interface ISubscriber
{
    /// <summary>Starts consuming a topic through a named subscription.</summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="subscription">The subscription name; consumers with the same name share its messages.</param>
    /// <param name="handler">Called once per message; see <see cref="MessageHandler"/> for acknowledgement rules.</param>
    /// <param name="options">In-flight limit, ordering, filter and retry policy; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running consumer; stop or dispose it to stop consuming. The subscription itself stays.</returns>
    Task<IConsumer> SubscribeAsync(string topic, string subscription, MessageHandler handler, SubscriptionOptions? options = null, CancellationToken cancellationToken = default);
}

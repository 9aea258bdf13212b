using System.Diagnostics;
using Messaging.Adapters.RabbitMq.Telemetry;
using Messaging.Adapters.Transport;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Consuming;

/// <summary>
/// A channel consuming a queue, its deliveries' scope, and (with ordering) the lock that allows it; it ends when the
/// channel closes, the broker cancels the consumer or the lock is lost.
/// </summary>
internal sealed class ConsumerSession(IChannel channel, DeliveryScope scope, ActiveConsumerLock? held)
{
    public IChannel Channel { get; } = channel;

    public DeliveryScope Scope { get; } = scope;

    public ActiveConsumerLock? Lock { get; } = held;

    public string? ConsumerTag { get; set; }

    /// <summary>Set once this consumer cancelled its own <c>basic.consume</c>, so the broker's cancel-ok is not
    /// taken for a cancellation by the broker.</summary>
    public volatile bool Cancelling;
}

/// <summary>A message received on a <see cref="ConsumerSession"/>, settled on that session's channel by its tag.</summary>
internal sealed class RabbitMqDelivery(ReceivedMessage message, ConsumerSession session, ulong tag, string routingKey, IDictionary<string, object?>? nativeHeaders) : InboundDelivery(message, session.Scope)
{
    /// <summary>The delivery's AMQP headers as the broker sent them, so a retry or dead letter keeps their types.</summary>
    public IDictionary<string, object?>? NativeHeaders { get; } = nativeHeaders;

    public ConsumerSession Session { get; } = session;

    public ulong Tag { get; } = tag;

    protected override void AddSpanAttributes(Activity span) => AmqpSpanAttributes.AddDelivery(span, routingKey, Tag);
}

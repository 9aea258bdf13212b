using System.Diagnostics;

namespace Messaging.Adapters.Transport;

/// <summary>
/// Puts the library's producer telemetry around an adapter's publisher, queue and stream: a producer span per send
/// (<c>publish &lt;topic&gt;</c>, <c>send &lt;queue&gt;</c>, <c>append &lt;stream&gt;</c>) with the messaging
/// attributes, the W3C trace context in every message's headers, and the sent-messages and operation-duration metrics.
/// </summary>
/// <remarks>
/// An adapter wraps what its <see cref="ITransport"/> exposes once, in its constructor, so every transport gets the same
/// telemetry from this one implementation; its consumers get theirs from the <see cref="ConsumerEngine{TDelivery}"/>.
/// While nobody listens (no <see cref="System.Diagnostics.ActivityListener"/> on <see cref="MessagingTelemetry.Name"/>,
/// no listener on its producer metrics, no current activity) a call goes straight to the adapter: no activity, no
/// header, no allocation.
/// </remarks>
public static class ProducerTelemetry
{
    /// <summary>The producer span of the send, publish or append in progress on this flow, for an adapter to add its
    /// broker's own attributes to (RabbitMQ's routing key); <see langword="null"/> while none is recorded.</summary>
    /// <remarks>The span is the current activity only inside the instrumented call, so an adapter reads this in the
    /// code its <see cref="IPublisher"/>, <see cref="IQueue"/> or <see cref="IStream"/> runs; a send the adapter makes
    /// on its own (a retry, a dead letter) sees no producer span.</remarks>
    public static Activity? CurrentSend =>
        Activity.Current is { Kind: ActivityKind.Producer, IsAllDataRequested: true } current && current.Source == MessagingTelemetry.Source
            ? current
            : null;

    /// <summary>Instruments a publisher.</summary>
    /// <param name="publisher">The adapter's publisher.</param>
    /// <param name="messagingSystem">The <c>messaging.system</c> of what it publishes to (see <see cref="MessagingSystems"/>).</param>
    /// <returns>The instrumented publisher.</returns>
    public static IPublisher Instrument(IPublisher publisher, string messagingSystem)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentException.ThrowIfNullOrEmpty(messagingSystem);
        return new InstrumentedPublisher(publisher, messagingSystem);
    }

    /// <summary>Instruments a queue's sends.</summary>
    /// <param name="queue">The adapter's queue.</param>
    /// <param name="messagingSystem">The <c>messaging.system</c> of the queues (see <see cref="MessagingSystems"/>).</param>
    /// <returns>The instrumented queue.</returns>
    public static IQueue Instrument(IQueue queue, string messagingSystem)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentException.ThrowIfNullOrEmpty(messagingSystem);
        return new InstrumentedQueue(queue, messagingSystem);
    }

    /// <summary>Instruments a stream's appends; an <see cref="UnsupportedStream"/> is returned as it is.</summary>
    /// <param name="stream">The adapter's stream.</param>
    /// <param name="messagingSystem">The <c>messaging.system</c> of the streams (see <see cref="MessagingSystems"/>).</param>
    /// <returns>The instrumented stream.</returns>
    public static IStream Instrument(IStream stream, string messagingSystem)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(messagingSystem);
        return stream is UnsupportedStream ? stream : new InstrumentedStream(stream, messagingSystem);
    }
}

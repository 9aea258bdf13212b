using System.Diagnostics;

namespace Messaging.Adapters.Transport;

/// <summary>
/// One message a broker handed to a consumer, from receipt until it is settled: the <see cref="ReceivedMessage"/>
/// the handler sees and the <see cref="DeliveryScope"/> it belongs to. An adapter derives its own delivery from this
/// and adds what its broker needs to settle it (an AMQP delivery tag, an SQS receipt handle, a Kafka offset).
/// </summary>
/// <remarks>A delivery is its own thread-pool work item, so starting its handler costs no allocation beyond the
/// delivery itself.</remarks>
public abstract class InboundDelivery : IThreadPoolWorkItem
{
    /// <summary>Creates the delivery.</summary>
    /// <param name="message">The message as the handler will see it.</param>
    /// <param name="scope">The scope it was received in (a channel, a partition assignment); its handlers are
    /// cancelled and drained together.</param>
    protected InboundDelivery(ReceivedMessage message, DeliveryScope scope)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(scope);
        Message = message;
        Scope = scope;
    }

    /// <summary>Creates a delivery whose message and scope are given later with <see cref="Assign"/>: for a broker
    /// that hands the same object to successive consumers (the in-memory broker), so a delivery costs no second
    /// allocation.</summary>
    protected InboundDelivery()
    {
        Message = null!;
        Scope = null!;
    }

    /// <summary>The message as the handler sees it.</summary>
    public ReceivedMessage Message { get; private set; }

    /// <summary>The scope this delivery was received in.</summary>
    public DeliveryScope Scope { get; private set; }

    /// <summary>The worker that runs this delivery; set by the engine just before it is queued to the thread pool.</summary>
    internal IDeliveryWorker? Worker { get; set; }

    /// <summary>The order in which the engine received it, for handing back waiting deliveries in that order.</summary>
    internal long Sequence { get; set; }

    /// <summary>Set when the delivery arrived while its consumer stopped or its scope ended: it is released, not handled.</summary>
    internal bool ReleaseOnly { get; set; }

    /// <summary>Hands the delivery to a consumer: the message its handler will see and the consumer's scope.</summary>
    /// <param name="message">The message as the handler will see it.</param>
    /// <param name="scope">The receiving consumer's scope.</param>
    protected void Assign(ReceivedMessage message, DeliveryScope scope)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(scope);
        Message = message;
        Scope = scope;
        ReleaseOnly = false;
    }

    /// <summary>Adds the broker's own attributes of this delivery (the conventions' <c>messaging.&lt;system&gt;.*</c>, such
    /// as RabbitMQ's routing key and delivery tag) to the library's consumer spans of it: process and settle.</summary>
    /// <param name="span">A span of <see cref="MessagingTelemetry.Name"/> that records its attributes.</param>
    /// <remarks>Called only while somebody listens, so an override may format values freely; the default adds nothing.</remarks>
    protected internal virtual void AddSpanAttributes(Activity span)
    {
    }

    void IThreadPoolWorkItem.Execute() => Worker!.Run(this);
}

/// <summary>Runs deliveries on the thread pool; implemented by the engine.</summary>
internal interface IDeliveryWorker
{
    void Run(InboundDelivery delivery);
}

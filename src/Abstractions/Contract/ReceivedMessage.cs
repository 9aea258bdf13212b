namespace Messaging.Adapters;

/// <summary>
/// A message as a handler receives it: the <see cref="Adapters.Envelope"/> and the facts of this delivery.
/// </summary>
public sealed class ReceivedMessage
{
    /// <summary>Creates a received message; transports call this.</summary>
    /// <param name="envelope">The message.</param>
    /// <param name="source">The queue it was consumed from (for a subscription, the subscription queue; for a stream, the stream).</param>
    /// <param name="attempt">The 1-based handling attempt this delivery is.</param>
    /// <param name="redelivered">Whether the broker delivered this message before without an acknowledgement.</param>
    public ReceivedMessage(Envelope envelope, string source, int attempt = 1, bool redelivered = false)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        Envelope = envelope;
        Source = source;
        Attempt = attempt;
        Redelivered = redelivered;
    }

    /// <summary>The message.</summary>
    public Envelope Envelope { get; }

    /// <summary>The queue the message was consumed from: a queue's name, a subscription queue's name
    /// (<see cref="DestinationNames.SubscriptionQueue"/>) or a stream's name.</summary>
    public string Source { get; }

    /// <summary>The 1-based handling attempt: 1 on first delivery, higher on each retry.</summary>
    public int Attempt { get; }

    /// <summary>Whether the broker delivered this message before without an acknowledgement (a consumer stopped or crashed).</summary>
    public bool Redelivered { get; }

    /// <summary>How many times the broker has delivered this message, this delivery included, where the broker counts
    /// deliveries (RabbitMQ quorum queues' <c>x-delivery-count</c> + 1, SQS's <c>ApproximateReceiveCount</c>); a
    /// delivery after a consumer crash or a release shows more than 1. <see langword="null"/> where the broker does
    /// not count.</summary>
    public int? DeliveryCount { get; init; }

    /// <summary>The topic, when the message came through a subscription.</summary>
    public string? Topic { get; init; }

    /// <summary>The subscription name, when the message came through a subscription.</summary>
    public string? Subscription { get; init; }

    /// <summary>The reader group, when the message was read from a stream; its dead letters name it and cannot be
    /// re-sent (see <see cref="DeadLetterRedrive"/>).</summary>
    public string? ReaderGroup { get; init; }

    /// <summary>The partition of a message read from a partitioned log (a stream, or a Kafka topic); 0 on transports
    /// whose streams have one partition; <see langword="null"/> elsewhere.</summary>
    public int? StreamPartition { get; init; }

    /// <summary>The offset of a message inside its partition, where it has one; <see cref="StreamPosition.AtOffset"/>
    /// starts reading a stream here.</summary>
    public long? StreamOffset { get; init; }

    /// <summary>Returns this delivery as a later attempt; the retry pipeline uses it for immediate retries.</summary>
    /// <param name="attempt">The new attempt number.</param>
    /// <returns>A copy with <see cref="Attempt"/> set.</returns>
    public ReceivedMessage WithAttempt(int attempt) => new(Envelope, Source, attempt, Redelivered)
    {
        Topic = Topic,
        Subscription = Subscription,
        ReaderGroup = ReaderGroup,
        DeliveryCount = DeliveryCount,
        StreamPartition = StreamPartition,
        StreamOffset = StreamOffset,
        Delivery = Delivery,
    };

    /// <summary>The engine's delivery of this message, so that the process span can carry the broker's own attributes
    /// (<see cref="Transport.InboundDelivery.AddSpanAttributes"/>); set by the engine before the handler runs.</summary>
    internal Transport.InboundDelivery? Delivery { get; set; }
}

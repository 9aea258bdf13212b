namespace Messaging.Adapters.Transport;

/// <summary>
/// How a <see cref="ConsumerEngine{TDelivery}"/> runs one consumer: what it consumes, how many deliveries at once,
/// in which lanes, and how its retries wait.
/// </summary>
public sealed record ConsumerEngineSettings
{
    /// <summary>What is consumed, for logs and dead-letter headers: a queue, a subscription's queue, a stream.</summary>
    public required string Source { get; init; }

    /// <summary>The transport's name, for capability errors.</summary>
    public required string Transport { get; init; }

    /// <summary>What the transport can do; the engine refuses what it lacks and decides from it how retries wait.</summary>
    public required TransportCapabilities Capabilities { get; init; }

    /// <summary>The most deliveries outstanding at once: a pull receiver is never asked for more, and
    /// <see cref="IDeliverySink{TDelivery}.TryReserveCredit"/> gives no more. A push broker with its own prefetch
    /// (AMQP) sets that prefetch to this value.</summary>
    /// <value>The default value is 16.</value>
    public int MaxInFlight { get; init; } = 16;

    /// <summary>The order the application asked for; <see cref="MessageOrdering.ByKey"/> needs
    /// <see cref="TransportCapabilities.OrderingByKey"/>.</summary>
    /// <value>The default value is <see cref="MessageOrdering.None"/>.</value>
    public MessageOrdering Ordering { get; init; } = MessageOrdering.None;

    /// <summary>Which deliveries the engine runs one at a time, in the broker's order. For
    /// <see cref="MessageOrdering.ByKey"/> this is <see cref="DeliveryLanes.ByKey"/>, unless the broker itself hands
    /// out one message of a key at a time (the in-memory broker, an SQS FIFO message group).</summary>
    /// <value>The default value is <see cref="DeliveryLanes.None"/>.</value>
    public DeliveryLanes Lanes { get; init; } = DeliveryLanes.None;

    /// <summary>Whether the broker itself keeps the order of a key while a delayed retry waits (an SQS FIFO message
    /// group stays blocked while its message is invisible). Without it, an ordered consumer waits for delayed retries
    /// in process, holding the key's turn.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool BrokerKeepsOrderDuringRetry { get; init; }

    /// <summary>The subscription filter the consumer applies itself, where the broker cannot (no
    /// <see cref="TransportCapabilities.ServerSideFiltering"/>, or headers it cannot match): unmatched messages are
    /// acknowledged without calling the handler.</summary>
    /// <value>The default value is <see langword="null"/>: every message is handled.</value>
    public SubscriptionFilter? Filter { get; init; }

    /// <summary>Whether the lanes make delayed retries wait inside the consumer instead of going back to the broker:
    /// for streams read in order, and for ordered consumers unless the broker keeps the order itself (a retry must not
    /// let later messages of its key pass). The engine also holds them where the transport cannot
    /// (<see cref="CapabilityGuard.HoldsDelayedRetries"/>: no <see cref="TransportCapabilities.DelayedDelivery"/>, or a
    /// policy whose delays exceed <see cref="TransportCapabilities.MaxDelay"/>).</summary>
    public bool HoldsDelayedRetries =>
        Lanes is DeliveryLanes.All or DeliveryLanes.ByScope
        || ((Ordering == MessageOrdering.ByKey || Lanes == DeliveryLanes.ByKey) && !BrokerKeepsOrderDuringRetry);

    /// <summary>Checks the settings and throws an error that names the bad value.</summary>
    /// <exception cref="ArgumentException">A value is missing or out of range.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Source);
        ArgumentException.ThrowIfNullOrEmpty(Transport);
        ArgumentNullException.ThrowIfNull(Capabilities);
        if (MaxInFlight is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxInFlight), MaxInFlight, $"{nameof(ConsumerEngineSettings)}.{nameof(MaxInFlight)} must be 1..10000, was {MaxInFlight}.");
        }

        if (!Enum.IsDefined(Lanes))
        {
            throw new ArgumentOutOfRangeException(nameof(Lanes), Lanes, $"{nameof(ConsumerEngineSettings)}.{nameof(Lanes)} must be one of {string.Join(", ", Enum.GetNames<DeliveryLanes>())}, was {Lanes}.");
        }

        if (!Enum.IsDefined(Ordering))
        {
            throw new ArgumentOutOfRangeException(nameof(Ordering), Ordering, $"{nameof(ConsumerEngineSettings)}.{nameof(Ordering)} must be one of {string.Join(", ", Enum.GetNames<MessageOrdering>())}, was {Ordering}.");
        }

        CapabilityGuard.EnsureOrdering(Capabilities, Transport, orderedByKey: Ordering == MessageOrdering.ByKey || Lanes == DeliveryLanes.ByKey);
    }
}

/// <summary>
/// Which deliveries of a consumer run one at a time, in the order the broker delivered them.
/// </summary>
public enum DeliveryLanes
{
    /// <summary>None: deliveries run concurrently up to the in-flight limit.</summary>
    None = 0,

    /// <summary>Deliveries that share an <see cref="Envelope.Key"/> run one at a time; other keys, and messages
    /// without a key, run concurrently (<see cref="MessageOrdering.ByKey"/>).</summary>
    ByKey = 1,

    /// <summary>Deliveries of one <see cref="DeliveryScope"/> run one at a time (a Kafka partition read in order);
    /// scopes run concurrently.</summary>
    ByScope = 2,

    /// <summary>Every delivery runs after the one before it (a stream read in order).</summary>
    All = 3,
}

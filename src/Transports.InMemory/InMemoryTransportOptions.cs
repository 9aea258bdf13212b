using System.ComponentModel.DataAnnotations;

namespace Messaging.Adapters.InMemory;

/// <summary>
/// Options of the in-memory transport (configuration section <c>Messaging:InMemory</c>).
/// </summary>
/// <remarks>
/// <para>Our words map onto in-process structures: a topic is a list of subscription queues, a subscription is
/// the queue <c>&lt;topic&gt;.&lt;subscription&gt;</c>, a queue is a FIFO with competing consumers, a stream is an
/// append-only log with one partition.</para>
/// <para>By default the transport offers every capability. Turning capabilities off and setting limits makes it
/// stand in for a smaller broker (SQS/SNS: no streams, no delayed delivery over 15 minutes, 10 messages per batch),
/// so an application, and the conformance suite, can see how each refusal and fallback behaves without that broker.
/// Each option sets the <see cref="TransportCapabilities"/> property of the same name.</para>
/// </remarks>
public sealed class InMemoryTransportOptions : TransportOptions
{
    private const int MaxMessageSizeLimit = 100 * 1024 * 1024;

    /// <summary>The largest message body accepted, in bytes (<see cref="TransportCapabilities.MaxMessageSize"/>).</summary>
    /// <value>The default value is 262,144 (256 KiB, as SQS). Valid values are 1 to 104,857,600 (100 MiB).</value>
    [Range(1, MaxMessageSizeLimit)]
    public int MaxMessageSize { get; set; } = 256 * 1024;

    /// <summary>Whether streams are offered (<see cref="TransportCapabilities.Streams"/>).</summary>
    /// <value>The default value is <see langword="true"/>. When <see langword="false"/>, <see cref="ITransport.Stream"/>
    /// is an <see cref="UnsupportedStream"/>: every call throws <see cref="CapabilityNotSupportedException"/>.</value>
    public bool Streams { get; set; } = true;

    /// <summary>Whether a stream can be read from a point in time (<see cref="TransportCapabilities.StreamStartAtTime"/>).</summary>
    /// <value>The default value is <see langword="true"/>; it has no effect without <see cref="Streams"/>. When
    /// <see langword="false"/>, reading from <see cref="StreamPosition.AtTime"/> throws <see cref="CapabilityNotSupportedException"/>.</value>
    public bool StreamStartAtTime { get; set; } = true;

    /// <summary>Whether consumers can keep the order of each key (<see cref="TransportCapabilities.OrderingByKey"/>).</summary>
    /// <value>The default value is <see langword="true"/>. When <see langword="false"/>, a consumer asking for
    /// <see cref="MessageOrdering.ByKey"/> throws <see cref="CapabilityNotSupportedException"/> and does not start.</value>
    public bool OrderingByKey { get; set; } = true;

    /// <summary>Whether the broker holds messages for delayed retries (<see cref="TransportCapabilities.DelayedDelivery"/>).</summary>
    /// <value>The default value is <see langword="true"/>. When <see langword="false"/>, delayed retries wait inside the
    /// consumer, holding an in-flight slot with the message unacknowledged.</value>
    public bool DelayedDelivery { get; set; } = true;

    /// <summary>Whether subscription filters are applied when publishing (<see cref="TransportCapabilities.ServerSideFiltering"/>).</summary>
    /// <value>The default value is <see langword="true"/>. When <see langword="false"/>, every message of the topic
    /// reaches every subscription queue, and the consumer acknowledges unmatched messages without calling the handler.</value>
    public bool ServerSideFiltering { get; set; } = true;

    /// <summary>Whether queues can be counted and peeked without consuming them (<see cref="TransportCapabilities.QueueInspection"/>).</summary>
    /// <value>The default value is <see langword="true"/>. With <see langword="false"/>, <see cref="IDeadLetters.CountAsync"/>
    /// and <see cref="IDeadLetters.PeekAsync"/> throw <see cref="CapabilityNotSupportedException"/>.</value>
    public bool QueueInspection { get; set; } = true;

    /// <summary>The longest delay the broker holds a delayed retry for (<see cref="TransportCapabilities.MaxDelay"/>).</summary>
    /// <value>The default value is <see langword="null"/>: no limit. Otherwise more than zero and at most 1 day; a consumer
    /// whose retry policy can ask for more has its delayed retries wait in process.</value>
    public TimeSpan? MaxDelay { get; set; }

    /// <summary>The most messages one batch call may carry (<see cref="TransportCapabilities.MaxBatchEntries"/>).</summary>
    /// <value>The default value is <see langword="null"/>: no limit. Otherwise 1 to 10,000; a larger batch throws
    /// <see cref="BatchTooLargeException"/> and nothing is sent.</value>
    [Range(1, 10_000)]
    public int? MaxBatchEntries { get; set; }

    /// <summary>The most body bytes one batch call may carry (<see cref="TransportCapabilities.MaxBatchBytes"/>).</summary>
    /// <value>The default value is <see langword="null"/>: no limit. Otherwise 1 to 104,857,600 (100 MiB); a larger batch
    /// throws <see cref="BatchTooLargeException"/> and nothing is sent.</value>
    [Range(1, MaxMessageSizeLimit)]
    public int? MaxBatchBytes { get; set; }

    /// <summary>Every out-of-range value, each message naming the key under <paramref name="keyPrefix"/>.</summary>
    /// <param name="keyPrefix">What goes before the option's name: <c>Messaging:InMemory:</c> at start-up,
    /// <c>InMemoryTransportOptions.</c> in the constructor.</param>
    internal List<string> FindProblems(string keyPrefix)
    {
        var problems = new List<string>();
        if (MaxMessageSize is < 1 or > MaxMessageSizeLimit)
        {
            problems.Add($"{keyPrefix}{nameof(MaxMessageSize)} must be 1..{MaxMessageSizeLimit} (bytes), was {MaxMessageSize}.");
        }

        if (MaxDelay is { } delay && (delay <= TimeSpan.Zero || delay > TimeSpan.FromDays(1)))
        {
            problems.Add($"{keyPrefix}{nameof(MaxDelay)} must be more than 00:00:00 and at most 1.00:00:00 (or unset for no limit), was {delay}.");
        }

        if (MaxBatchEntries is < 1 or > 10_000)
        {
            problems.Add($"{keyPrefix}{nameof(MaxBatchEntries)} must be 1..10000 (or unset for no limit), was {MaxBatchEntries}.");
        }

        if (MaxBatchBytes is < 1 or > MaxMessageSizeLimit)
        {
            problems.Add($"{keyPrefix}{nameof(MaxBatchBytes)} must be 1..{MaxMessageSizeLimit} (bytes, or unset for no limit), was {MaxBatchBytes}.");
        }

        return problems;
    }

    /// <summary>The capabilities these options declare.</summary>
    internal TransportCapabilities ToCapabilities() => new()
    {
        Streams = Streams,
        StreamStartAtTime = Streams && StreamStartAtTime,
        OrderingByKey = OrderingByKey,
        DelayedDelivery = DelayedDelivery,
        ServerSideFiltering = ServerSideFiltering,
        QueueInspection = QueueInspection,
        Durable = false,

        // Everything ends with the process, a temporary queue included.
        TemporaryQueues = true,
        MaxMessageSize = MaxMessageSize,
        MaxDelay = MaxDelay,
        MaxBatchEntries = MaxBatchEntries,
        MaxBatchBytes = MaxBatchBytes,
    };
}

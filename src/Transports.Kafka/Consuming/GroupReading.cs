using Confluent.Kafka;

namespace Messaging.Adapters.Kafka.Consuming;

/// <summary>What one consumer reads: its group, its topics, how its messages are named for handlers, where its dead
/// letters go and, for a stream reader, where it starts.</summary>
internal sealed record GroupReading
{
    /// <summary>The consumer group.</summary>
    public required string GroupId { get; init; }

    /// <summary>The topics the group reads.</summary>
    public required IReadOnlyList<string> Topics { get; init; }

    /// <summary>The queue, subscription queue or stream name handlers see as <see cref="ReceivedMessage.Source"/>.</summary>
    public required string Source { get; init; }

    /// <summary>The topic <c>&lt;source&gt;.dead-letter</c> (a stream reader group's: <c>&lt;stream&gt;.&lt;group&gt;.dead-letter</c>).</summary>
    public required string DeadLetterTopic { get; init; }

    /// <summary>The subscription's topic, for <see cref="ReceivedMessage.Topic"/>.</summary>
    public string? Topic { get; init; }

    /// <summary>The subscription's name, for <see cref="ReceivedMessage.Subscription"/>.</summary>
    public string? Subscription { get; init; }

    /// <summary>A stream reader's group name, for <see cref="ReceivedMessage.ReaderGroup"/>.</summary>
    public string? ReaderGroup { get; init; }

    /// <summary>Where a partition without a committed offset starts (queues and subscriptions: the beginning).</summary>
    public AutoOffsetReset Reset { get; init; } = AutoOffsetReset.Earliest;

    /// <summary>A stream reader's options; <see langword="null"/> for queues and subscriptions.</summary>
    public StreamReadOptions? Stream { get; init; }
}

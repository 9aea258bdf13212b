namespace Messaging.Adapters;

/// <summary>
/// Where a stream reader group starts and how it checkpoints.
/// </summary>
public sealed record StreamReadOptions
{
    /// <summary>Where to start when the reader group has no checkpoint yet, or when <see cref="ResumeFromCheckpoint"/> is off.</summary>
    /// <value>The default value is <see cref="StreamPosition.Beginning"/>.</value>
    public StreamPosition StartPosition { get; init; } = StreamPosition.Beginning;

    /// <summary>Whether a reader group that has a checkpoint continues after it (ignoring <see cref="StartPosition"/>).</summary>
    /// <value>The default value is <see langword="true"/>. Set it to <see langword="false"/> to replay from <see cref="StartPosition"/>.</value>
    public bool ResumeFromCheckpoint { get; init; } = true;

    /// <summary>How many handled messages go by between checkpoints; a checkpoint is also written when the reader stops.</summary>
    /// <value>The default value is 1 (checkpoint after every message). Valid values are 1 to 1,000,000.</value>
    /// <remarks>After a crash, up to this many messages are read again (at-least-once).</remarks>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>The longest time between checkpoints while messages are handled, whatever their count; a checkpoint
    /// is written when <see cref="CheckpointEvery"/> messages or this much time have gone by, whichever comes first.</summary>
    /// <value>The default value is <see langword="null"/>: by count only. Valid values are 1 ms to 1 day.</value>
    public TimeSpan? CheckpointInterval { get; init; }

    /// <summary>The retry policy for handler failures.</summary>
    /// <value>The default value is <see langword="null"/>: the transport's default policy.</value>
    public RetryPolicy? Retry { get; init; }

    /// <summary>Checks the options and throws an error that names the bad value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (CheckpointEvery is < 1 or > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, $"{nameof(StreamReadOptions)}.{nameof(CheckpointEvery)} must be 1..1000000, was {CheckpointEvery}.");
        }

        if (CheckpointInterval is { } interval && (interval < TimeSpan.FromMilliseconds(1) || interval > TimeSpan.FromDays(1)))
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointInterval), interval, $"{nameof(StreamReadOptions)}.{nameof(CheckpointInterval)} must be 00:00:00.001..1.00:00:00, was {interval}.");
        }

        StartPosition.Validate();
        Retry?.Validate();
    }
}

/// <summary>
/// A position in a stream to start reading from.
/// </summary>
public readonly record struct StreamPosition
{
    private StreamPosition(StreamPositionKind kind, long offset, DateTimeOffset time)
    {
        Kind = kind;
        Offset = offset;
        Time = time;
    }

    /// <summary>What kind of position this is.</summary>
    public StreamPositionKind Kind { get; }

    /// <summary>The offset, for <see cref="StreamPositionKind.Offset"/>.</summary>
    public long Offset { get; }

    /// <summary>The time, for <see cref="StreamPositionKind.Time"/>.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>The first message still in the stream.</summary>
    public static StreamPosition Beginning => new(StreamPositionKind.Beginning, 0, default);

    /// <summary>After the last message: only messages appended from now on.</summary>
    public static StreamPosition End => new(StreamPositionKind.End, 0, default);

    /// <summary>The message at this offset (in every partition, on partitioned streams) and everything after it.</summary>
    /// <param name="offset">A zero-based offset, as in <see cref="ReceivedMessage.StreamOffset"/>.</param>
    /// <returns>The position.</returns>
    public static StreamPosition AtOffset(long offset) => new(StreamPositionKind.Offset, offset, default);

    /// <summary>The first message appended at or after this time.</summary>
    /// <param name="time">The time.</param>
    /// <returns>The position.</returns>
    /// <remarks>Needs <see cref="TransportCapabilities.StreamStartAtTime"/>.</remarks>
    public static StreamPosition AtTime(DateTimeOffset time) => new(StreamPositionKind.Time, 0, time);

    /// <summary>Checks the position and throws an error that names the bad value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The offset is negative.</exception>
    public void Validate()
    {
        if (Kind == StreamPositionKind.Offset && Offset < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Offset), Offset, $"A stream offset must be 0 or more, was {Offset}.");
        }
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        StreamPositionKind.Offset => $"offset {Offset}",
        StreamPositionKind.Time => $"time {Time:O}",
        _ => Kind.ToString(),
    };
}

/// <summary>
/// The kinds of <see cref="StreamPosition"/>.
/// </summary>
public enum StreamPositionKind
{
    /// <summary>The first message still in the stream.</summary>
    Beginning = 0,

    /// <summary>After the last message.</summary>
    End = 1,

    /// <summary>A given offset.</summary>
    Offset = 2,

    /// <summary>A given time.</summary>
    Time = 3,
}

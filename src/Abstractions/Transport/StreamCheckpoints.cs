namespace Messaging.Adapters.Transport;

/// <summary>
/// A stream reader group's position as its reader handles messages: where it starts, and when the next checkpoint
/// is due (every <see cref="StreamReadOptions.CheckpointEvery"/> messages or <see cref="StreamReadOptions.CheckpointInterval"/>,
/// whichever comes first). The adapter stores the checkpoint its own way (a log's table, a broker-side offset store,
/// a Kafka commit).
/// </summary>
/// <remarks>Not thread safe: one reader owns it. Positions are "the offset of the next message to handle".</remarks>
public sealed class StreamCheckpoints
{
    private readonly StreamReadOptions _options;
    private readonly TimeProvider _time;
    private long _lastSavedAt;
    private int _sinceSave;

    /// <summary>Creates the tracker.</summary>
    /// <param name="options">The reader's options.</param>
    /// <param name="timeProvider">The clock for <see cref="StreamReadOptions.CheckpointInterval"/>; <see langword="null"/> for the system clock.</param>
    public StreamCheckpoints(StreamReadOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _lastSavedAt = _time.GetTimestamp();
    }

    /// <summary>The position after the last message handled (or the start position); <see langword="null"/> before
    /// the start is known.</summary>
    public long? Position { get; private set; }

    /// <summary>Where a reader starts: after the stored checkpoint when it has one and resumes
    /// (<see cref="StreamReadOptions.ResumeFromCheckpoint"/>), otherwise at <see cref="StreamReadOptions.StartPosition"/>.</summary>
    /// <param name="stored">The group's stored checkpoint, or <see langword="null"/> when it has none.</param>
    /// <param name="resumedBefore">Whether this reader already read in an earlier session: it then always resumes
    /// from the checkpoint, so a reconnect never replays from the configured start.</param>
    /// <returns>The position to start at: an offset for a checkpoint.</returns>
    public StreamPosition ResolveStart(long? stored, bool resumedBefore = false) =>
        stored is { } checkpoint && (_options.ResumeFromCheckpoint || resumedBefore)
            ? StreamPosition.AtOffset(checkpoint)
            : _options.StartPosition;

    /// <summary>Sets the position where reading starts, without a checkpoint being due.</summary>
    /// <param name="position">The offset of the first message to read.</param>
    public void StartAt(long position)
    {
        Position = position;
        _sinceSave = 0;
        _lastSavedAt = _time.GetTimestamp();
    }

    /// <summary>Records that the message at <paramref name="offset"/> was handled (or dead-lettered, or skipped).</summary>
    /// <param name="offset">Its offset.</param>
    /// <param name="handled">Whether it counts towards <see cref="StreamReadOptions.CheckpointEvery"/> (skipped
    /// messages move the position but do not count).</param>
    /// <returns>Whether a checkpoint is due now; the caller stores <see cref="Position"/> and calls <see cref="Saved"/>.</returns>
    public bool Advance(long offset, bool handled = true)
    {
        Position = offset + 1;
        if (handled)
        {
            _sinceSave++;
        }

        return _sinceSave >= _options.CheckpointEvery
            || (_sinceSave > 0 && _options.CheckpointInterval is { } interval && _time.GetElapsedTime(_lastSavedAt) >= interval);
    }

    /// <summary>Records that the checkpoint at <see cref="Position"/> was stored.</summary>
    public void Saved()
    {
        _sinceSave = 0;
        _lastSavedAt = _time.GetTimestamp();
    }
}

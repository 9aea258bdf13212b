namespace Messaging.Adapters.Transport;

/// <summary>
/// The commit position of one partition of a log (a Kafka partition) whose messages are handled concurrently: later
/// offsets may finish first, but the position only moves past an offset once it and every offset handed out before
/// it have finished, so no offset is ever committed past an unfinished message.
/// </summary>
/// <remarks>
/// <para>Offsets are tracked in the order the broker handed them out (strictly increasing, gaps allowed: a compacted
/// log or transaction markers skip offsets). The position is "the offset of the next message to read", as Kafka
/// commits it: one past the highest contiguous finished offset.</para>
/// <para>Thread safe: the receive loop tracks, workers complete. Costs O(1) per offset (amortized).</para>
/// </remarks>
public sealed class PartitionOffsets
{
    private readonly Lock _gate = new();
    private readonly Queue<long> _outstanding = new();
    private readonly HashSet<long> _finishedAhead = [];
    private long _lastTracked;

    /// <summary>Creates the tracker for a partition read from <paramref name="start"/>.</summary>
    /// <param name="start">The offset of the first message to be read (the committed position, or where reading
    /// starts); the position until something finishes.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="start"/> is negative.</exception>
    public PartitionOffsets(long start)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        Position = start;
        _lastTracked = start - 1;
    }

    /// <summary>The offset of the next message not known to be finished: every offset tracked below it has finished.
    /// This is what may be committed.</summary>
    public long Position
    {
        get
        {
            lock (_gate)
            {
                return field;
            }
        }

        private set;
    }

    /// <summary>How many tracked offsets have not finished or wait behind one that has not.</summary>
    public int Outstanding
    {
        get
        {
            lock (_gate)
            {
                return _outstanding.Count;
            }
        }
    }

    /// <summary>Records that the message at <paramref name="offset"/> was handed out to be handled.</summary>
    /// <param name="offset">Its offset: greater than every offset tracked before.</param>
    /// <exception cref="ArgumentOutOfRangeException">The offset is not greater than the last one tracked (the broker
    /// went backwards: the caller must start a new tracker, for example after a seek or a new assignment).</exception>
    public void Track(long offset)
    {
        lock (_gate)
        {
            if (offset <= _lastTracked)
            {
                throw new ArgumentOutOfRangeException(nameof(offset), offset, $"Offsets must be tracked in increasing order; {offset} came after {_lastTracked}.");
            }

            _lastTracked = offset;
            _outstanding.Enqueue(offset);
        }
    }

    /// <summary>Records that the message at <paramref name="offset"/> finished (handled, filtered out or
    /// dead-lettered): it never needs to be read again.</summary>
    /// <param name="offset">An offset tracked and not completed before.</param>
    /// <returns>The new <see cref="Position"/> when it moved forward, to be committed; <see langword="null"/> when
    /// an earlier offset is still unfinished.</returns>
    /// <exception cref="InvalidOperationException">The offset was not tracked, or completed twice.</exception>
    public long? Complete(long offset)
    {
        lock (_gate)
        {
            if (_outstanding.Count == 0 || offset < _outstanding.Peek() || offset > _lastTracked)
            {
                throw new InvalidOperationException($"Offset {offset} was not handed out or has finished already.");
            }

            if (offset != _outstanding.Peek())
            {
                if (!_finishedAhead.Add(offset))
                {
                    throw new InvalidOperationException($"Offset {offset} finished twice.");
                }

                return null;
            }

            var last = _outstanding.Dequeue();
            while (_outstanding.TryPeek(out var next) && _finishedAhead.Remove(next))
            {
                last = _outstanding.Dequeue();
            }

            Position = last + 1;
            return Position;
        }
    }
}

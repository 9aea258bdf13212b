using System.Collections.Concurrent;

namespace Messaging.Adapters.InMemory.Streams;

/// <summary>
/// One stream: an append-only log with a single partition (offsets 0, 1, 2, ...), the reader groups' checkpoints,
/// and one gate per group so a group has a single active reader.
/// </summary>
internal sealed class StreamLog(string name, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly List<Entry> _entries = [];
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _readerWaiting;

    public string Name { get; } = name;

    /// <summary>Each group's checkpoint: the offset of the next message it has not handled.</summary>
    public ConcurrentDictionary<string, long> Checkpoints { get; } = new(StringComparer.Ordinal);

    /// <summary>One active reader per group: the others wait on this gate as standbys.</summary>
    public ConcurrentDictionary<string, SemaphoreSlim> GroupGates { get; } = new(StringComparer.Ordinal);

    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public void Append(IReadOnlyList<Envelope> messages)
    {
        TaskCompletionSource? wake = null;
        var now = time.GetUtcNow();
        lock (_gate)
        {
            foreach (var message in messages)
            {
                _entries.Add(new Entry(message, now));
            }

            // A new signal only when a reader waits on the old one, so appends with no waiting reader allocate nothing.
            if (_readerWaiting)
            {
                wake = _appended;
                _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _readerWaiting = false;
            }
        }

        wake?.TrySetResult();
    }

    /// <summary>Reads the entry at <paramref name="offset"/>, or gives a task that completes at the next append.</summary>
    public bool TryRead(long offset, out Entry entry, out Task appended)
    {
        lock (_gate)
        {
            if (offset < _entries.Count)
            {
                entry = _entries[(int)offset];
                appended = Task.CompletedTask;
                return true;
            }

            _readerWaiting = true;
            entry = default;
            appended = _appended.Task;
            return false;
        }
    }

    /// <summary>The offset of the first entry appended at or after <paramref name="when"/> (the count when none is).</summary>
    public long FirstAtOrAfter(DateTimeOffset when)
    {
        lock (_gate)
        {
            int low = 0, high = _entries.Count;
            while (low < high)
            {
                var middle = low + ((high - low) / 2);
                if (_entries[middle].AppendedAt < when)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }
    }

    public readonly record struct Entry(Envelope Envelope, DateTimeOffset AppendedAt);
}

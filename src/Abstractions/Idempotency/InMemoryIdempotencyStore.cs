using System.Collections.Concurrent;

namespace Messaging.Adapters;

/// <summary>
/// An <see cref="IIdempotencyStore"/> in process memory, forgetting handled ids after a retention period.
/// </summary>
/// <remarks>De-duplicates within one process only and forgets everything on restart; use a durable store where
/// duplicates must be caught across instances.</remarks>
public sealed class InMemoryIdempotencyStore : IIdempotencyStore
{
    private readonly ConcurrentDictionary<(string Consumer, string MessageId), Entry> _entries = new();
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private long _nextSweepTicks;

    /// <summary>Creates the store.</summary>
    /// <param name="retention">How long a handled id is remembered; <see langword="null"/> for one hour.</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for the system clock.</param>
    public InMemoryIdempotencyStore(TimeSpan? retention = null, TimeProvider? timeProvider = null)
    {
        _retention = retention ?? TimeSpan.FromHours(1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_retention, TimeSpan.Zero, nameof(retention));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public ValueTask<IdempotencyClaim> TryClaimAsync(string consumer, string messageId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        SweepIfDue(now);
        var key = (consumer, messageId);
        while (true)
        {
            if (_entries.TryAdd(key, new Entry(Completed: false, now)))
            {
                return ValueTask.FromResult(IdempotencyClaim.Claimed);
            }

            if (!_entries.TryGetValue(key, out var existing))
            {
                continue;
            }

            if (existing.Completed && now - existing.At > _retention)
            {
                if (_entries.TryUpdate(key, new Entry(Completed: false, now), existing))
                {
                    return ValueTask.FromResult(IdempotencyClaim.Claimed);
                }

                continue;
            }

            return ValueTask.FromResult(existing.Completed ? IdempotencyClaim.AlreadyHandled : IdempotencyClaim.InProgress);
        }
    }

    /// <inheritdoc />
    public ValueTask CompleteAsync(string consumer, string messageId, CancellationToken cancellationToken)
    {
        _entries[(consumer, messageId)] = new Entry(Completed: true, _time.GetUtcNow());
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask ReleaseAsync(string consumer, string messageId, CancellationToken cancellationToken)
    {
        var key = (consumer, messageId);
        if (_entries.TryGetValue(key, out var existing) && !existing.Completed)
        {
            _entries.TryRemove(new KeyValuePair<(string, string), Entry>(key, existing));
        }

        return ValueTask.CompletedTask;
    }

    private void SweepIfDue(DateTimeOffset now)
    {
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweepTicks, now.UtcTicks + _retention.Ticks, due) != due)
        {
            return;
        }

        foreach (var (key, entry) in _entries)
        {
            if (entry.Completed && now - entry.At > _retention)
            {
                _entries.TryRemove(new KeyValuePair<(string, string), Entry>(key, entry));
            }
        }
    }

    private readonly record struct Entry(bool Completed, DateTimeOffset At);
}

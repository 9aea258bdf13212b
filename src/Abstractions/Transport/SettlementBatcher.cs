namespace Messaging.Adapters.Transport;

/// <summary>
/// Gathers settlements (deletes, acknowledgements) of many deliveries into batch requests, for brokers whose settle
/// call takes several messages at once and may fail some of them (SQS <c>DeleteMessageBatch</c>: 10 entries).
/// </summary>
/// <typeparam name="T">What one settlement needs (a receipt handle).</typeparam>
/// <remarks>
/// <para>No timer: when no request is in flight, one goes out after a single hop through the thread pool with
/// everything queued by then (up to <c>maxBatch</c>), so at a low rate each settlement is its own request, at no added
/// latency, and deliveries that finish together settle together. While requests are in flight,
/// settlements queue; a further request starts only for a full batch (up to <c>maxRequests</c> at once), and whatever
/// is queued when a request ends goes out on it. Under load every request carries <c>maxBatch</c> or close to it.</para>
/// <para>Each <see cref="SettleAsync"/> completes when its own entry was settled, and throws that entry's failure (a
/// per-entry failure reported by the broker, or the whole request's failure). Thread safe.</para>
/// </remarks>
public sealed class SettlementBatcher<T>
{
    private readonly Func<IReadOnlyList<T>, CancellationToken, Task<IReadOnlyList<Exception?>>> _settle;
    private readonly int _maxBatch;
    private readonly int _maxRequests;
    private readonly Queue<(T Item, TaskCompletionSource Done)> _queued = new();
    private readonly Lock _gate = new();
    private int _requests;
    private TaskCompletionSource? _idle;
    private long _requestCount;
    private long _itemCount;

    /// <summary>Creates the batcher.</summary>
    /// <param name="settle">Settles one batch: returns one entry per item, in order, <see langword="null"/> where the item
    /// was settled and the failure where it was not; throws when the whole request failed.</param>
    /// <param name="maxBatch">The most items one request carries (the broker's limit).</param>
    /// <param name="maxRequests">The most requests in flight at once.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBatch"/> or <paramref name="maxRequests"/> is below 1.</exception>
    public SettlementBatcher(Func<IReadOnlyList<T>, CancellationToken, Task<IReadOnlyList<Exception?>>> settle, int maxBatch, int maxRequests = 2)
    {
        ArgumentNullException.ThrowIfNull(settle);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRequests, 1);
        _settle = settle;
        _maxBatch = maxBatch;
        _maxRequests = maxRequests;
    }

    /// <summary>The number of requests made so far, for measurements (settlements per request).</summary>
    public long Requests => Interlocked.Read(ref _requestCount);

    /// <summary>The number of items settled or failed so far.</summary>
    public long Items => Interlocked.Read(ref _itemCount);

    /// <summary>Queues one settlement and completes when it was carried out.</summary>
    /// <param name="item">What to settle.</param>
    /// <returns>A task that completes when the item's batch was settled.</returns>
    /// <exception cref="Exception">The broker's failure for this item, or the failure of its whole request.</exception>
    public Task SettleAsync(T item)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        List<(T Item, TaskCompletionSource Done)>? batch = null;
        var fromIdle = false;
        lock (_gate)
        {
            _queued.Enqueue((item, done));
            if (_requests == 0)
            {
                _requests++;
                fromIdle = true;
            }
            else
            {
                batch = TakeBatchIfSlotFree();
            }
        }

        if (fromIdle)
        {
            _ = RunFromIdleAsync();
        }
        else if (batch is not null)
        {
            _ = RunAsync(batch);
        }

        return done.Task;
    }

    /// <summary>Completes when nothing is queued or in flight, for a receiver's close.</summary>
    /// <returns>A task that completes when every settlement queued so far was carried out (or failed).</returns>
    public Task DrainAsync()
    {
        lock (_gate)
        {
            if (_queued.Count == 0 && _requests == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }

    private List<(T Item, TaskCompletionSource Done)>? TakeBatchIfSlotFree()
    {
        // A second request in flight only pays for itself with a full batch; a partial one waits for the running one.
        if (_requests >= _maxRequests || _queued.Count == 0 || (_requests > 0 && _queued.Count < _maxBatch))
        {
            return null;
        }

        _requests++;
        return Take();
    }

    private void SignalIdleIfDone()
    {
        if (_requests == 0 && _queued.Count == 0 && _idle is { } idle)
        {
            _idle = null;
            idle.TrySetResult();
        }
    }

    private List<(T Item, TaskCompletionSource Done)> Take()
    {
        var batch = new List<(T, TaskCompletionSource)>(Math.Min(_queued.Count, _maxBatch));
        while (batch.Count < _maxBatch && _queued.TryDequeue(out var entry))
        {
            batch.Add(entry);
        }

        return batch;
    }

    /// <summary>The first request after a quiet spell: one hop through the thread pool first, so that the settlements
    /// of deliveries that finished together (a received batch) go out together instead of the first alone.</summary>
    private async Task RunFromIdleAsync()
    {
        await Task.Yield();
        List<(T Item, TaskCompletionSource Done)> batch;
        lock (_gate)
        {
            batch = Take();
            if (batch.Count == 0)
            {
                // A full batch went out on a second request meanwhile: nothing is left for this one.
                _requests--;
                SignalIdleIfDone();
                return;
            }
        }

        await RunAsync(batch).ConfigureAwait(false);
    }

    private async Task RunAsync(List<(T Item, TaskCompletionSource Done)> batch)
    {
        while (batch is not null)
        {
            Interlocked.Increment(ref _requestCount);
            Interlocked.Add(ref _itemCount, batch.Count);
            try
            {
                var results = await _settle(batch.ConvertAll(e => e.Item), CancellationToken.None).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    var failure = i < results.Count
                        ? results[i]
                        : new InvalidOperationException($"The settlement of a batch of {batch.Count} returned {results.Count} results.");
                    if (failure is null)
                    {
                        batch[i].Done.TrySetResult();
                    }
                    else
                    {
                        batch[i].Done.TrySetException(failure);
                    }
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                foreach (var entry in batch)
                {
                    entry.Done.TrySetException(ex);
                }
            }

            // Whatever queued meanwhile goes out on this same slot, so a busy receiver keeps its requests full.
            lock (_gate)
            {
                _requests--;
                batch = TakeBatchIfSlotFree()!;
                SignalIdleIfDone();
            }
        }
    }
}

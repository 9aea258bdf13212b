using System.Collections.Concurrent;

namespace OrderWorkflow.Story;

/// <summary>
/// Things that happened, by name (for example <c>shipped:1001</c>): services mark them, the steps wait for them.
/// Each mark gets a global sequence number, so a step can check that one thing happened after another.
/// </summary>
internal sealed class Milestones
{
    private readonly ConcurrentDictionary<string, Milestone> _byName = new(StringComparer.Ordinal);
    private long _sequence;

    /// <summary>The milestone with this name; created on first use by either the marking or the waiting side.</summary>
    public Milestone this[string name] => _byName.GetOrAdd(name, static n => new Milestone(n));

    public void Mark(string name) => this[name].Reach(Interlocked.Increment(ref _sequence));
}

/// <summary>
/// One named thing that happens, possibly several times.
/// </summary>
internal sealed class Milestone(string name)
{
    private readonly Lock _gate = new();
    private readonly List<TaskCompletionSource> _waiters = [];
    private int _count;
    private long _firstSequence;

    public string Name { get; } = name;

    /// <summary>How many times it happened.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>When it first happened, as a global sequence number; 0 when it has not.</summary>
    public long FirstSequence
    {
        get
        {
            lock (_gate)
            {
                return _firstSequence;
            }
        }
    }

    public void Reach(long sequence)
    {
        List<TaskCompletionSource> reached;
        lock (_gate)
        {
            _count++;
            if (_firstSequence == 0)
            {
                _firstSequence = sequence;
            }

            reached = [.. _waiters];
        }

        foreach (var waiter in reached)
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>Waits until it has happened <paramref name="times"/> times.</summary>
    /// <returns><see langword="true"/> when it did within the timeout.</returns>
    public async Task<bool> WaitAsync(int times, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            TaskCompletionSource next;
            lock (_gate)
            {
                if (_count >= times)
                {
                    return true;
                }

                next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add(next);
            }

            try
            {
                await next.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Count >= times;
            }
            finally
            {
                lock (_gate)
                {
                    _waiters.Remove(next);
                }
            }
        }
    }
}

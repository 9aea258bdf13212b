using System.Diagnostics;

namespace Messaging.Adapters.Benchmarks;

/// <summary>
/// The work every handler does, the same in both pipelines: stamp when message <c>n</c> was handled and count it.
/// The producer stamps when it handed message <c>n</c> over; latency is the difference, computed after the run.
/// </summary>
/// <remarks>The side arrays are allocated once, before any measurement, so they do not count as allocation.
/// Timestamps are <see cref="Stopwatch.GetTimestamp"/> ticks, never 0, so a slot still 0 after a run means a
/// message that was never handled (and, with the count complete, another one handled twice).</remarks>
internal sealed class DeliveryRecorder(int capacity) : IDisposable
{
    private readonly long[] _sentAt = new long[capacity];
    private readonly long[] _handledAt = new long[capacity];
    private readonly SemaphoreSlim _oneHandled = new(0);
    private bool _signalEach;
    private int _expected;
    private int _handled;
    private TaskCompletionSource _allHandled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Handled => Volatile.Read(ref _handled);

    /// <summary>Prepares a run of <paramref name="expected"/> messages.</summary>
    /// <param name="expected">The number of messages.</param>
    /// <param name="signalEach">Whether each handling also wakes the producer (one-in-flight mode).</param>
    public void Reset(int expected, bool signalEach)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(expected, capacity);
        _signalEach = signalEach;
        while (_oneHandled.CurrentCount > 0)
        {
            _oneHandled.Wait(0);
        }

        Array.Clear(_sentAt, 0, expected);
        Array.Clear(_handledAt, 0, expected);
        _expected = expected;
        _handled = 0;
        _allHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The producer: message <paramref name="sequence"/> is being handed over now.</summary>
    public void Sent(int sequence) => _sentAt[sequence] = Stopwatch.GetTimestamp();

    /// <summary>The producer, batched mode: messages <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1 are handed over now.</summary>
    public void SentBatch(int first, int count) => Array.Fill(_sentAt, Stopwatch.GetTimestamp(), first, count);

    /// <summary>The handler: message <paramref name="sequence"/> is handled.</summary>
    public void Handle(int sequence)
    {
        _handledAt[sequence] = Stopwatch.GetTimestamp();
        if (Interlocked.Increment(ref _handled) == _expected)
        {
            _allHandled.TrySetResult();
        }

        if (_signalEach)
        {
            _oneHandled.Release();
        }
    }

    /// <summary>The producer, one-in-flight mode: waits until the message it handed over was handled.</summary>
    public Task WaitForOneHandledAsync() => _oneHandled.WaitAsync();

    /// <summary>Waits until every message was handled.</summary>
    /// <exception cref="TimeoutException">Not all messages arrived in time; the message says how many did.</exception>
    public async Task WaitForAllAsync(TimeSpan timeout)
    {
        try
        {
            await _allHandled.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Only {Handled} of {_expected} messages were handled within {timeout.TotalSeconds:0} s.");
        }
    }

    /// <summary>The latencies of the run in ticks, sorted, and the timestamp of the last handling.</summary>
    /// <exception cref="InvalidOperationException">A message was not handled (so another was handled twice).</exception>
    public (long[] SortedLatencies, long LastHandledAt) Collect()
    {
        var latencies = new long[_expected];
        var last = 0L;
        for (var i = 0; i < _expected; i++)
        {
            var handled = _handledAt[i];
            if (handled == 0)
            {
                throw new InvalidOperationException($"Message {i} was never handled although {_handled} handlings were counted: some message was handled twice.");
            }

            latencies[i] = handled - _sentAt[i];
            last = Math.Max(last, handled);
        }

        Array.Sort(latencies);
        return (latencies, last);
    }

    public void Dispose() => _oneHandled.Dispose();
}

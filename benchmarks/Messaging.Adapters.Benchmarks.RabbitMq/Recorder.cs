using System.Buffers.Binary;
using System.Diagnostics;

namespace Messaging.Adapters.Benchmarks.RabbitMq;

/// <summary>
/// When each message was handed to the publisher and when it was handled, by sequence number (the payload's first
/// 4 bytes); completes when every message of the run was handled at least once.
/// </summary>
internal sealed class Recorder
{
    private long[] _sentAt = [];
    private long[] _handledAt = [];
    private int _expected;
    private int _handled;
    private long _lastHandledAt;
    private TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<int>? _next;

    public void Reset(int messages)
    {
        _sentAt = new long[messages];
        _handledAt = new long[messages];
        _expected = messages;
        _handled = 0;
        _next = null;
        _all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public static byte[] Payload(int sequence, int size)
    {
        var payload = new byte[size];
        BinaryPrimitives.WriteInt32LittleEndian(payload, sequence);
        return payload;
    }

    public void Sent(int sequence, long timestamp) => _sentAt[sequence] = timestamp;

    /// <summary>Arms a wait for one message (1-in-flight mode).</summary>
    public Task<int> NextHandled()
    {
        _next = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _next.Task;
    }

    public void Handled(ReadOnlySpan<byte> payload)
    {
        var now = Stopwatch.GetTimestamp();
        var sequence = BinaryPrimitives.ReadInt32LittleEndian(payload);
        if (Interlocked.CompareExchange(ref _handledAt[sequence], now, 0) != 0)
        {
            return; // A redelivery: counted once.
        }

        Volatile.Write(ref _lastHandledAt, now);
        _next?.TrySetResult(sequence);
        if (Interlocked.Increment(ref _handled) == _expected)
        {
            _all.TrySetResult();
        }
    }

    public Task WaitForAllAsync(TimeSpan timeout) => _all.Task.WaitAsync(timeout);

    /// <summary>Latencies in microseconds, sorted, and the time the last message was handled.</summary>
    public (double[] Latencies, long LastHandledAt) Collect()
    {
        var latencies = new double[_expected];
        for (var i = 0; i < _expected; i++)
        {
            latencies[i] = Stopwatch.GetElapsedTime(_sentAt[i], _handledAt[i]).TotalMicroseconds;
        }

        Array.Sort(latencies);
        return (latencies, Volatile.Read(ref _lastHandledAt));
    }
}

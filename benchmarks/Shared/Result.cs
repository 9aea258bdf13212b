using System.Diagnostics;

namespace Messaging.Adapters.Benchmarks.Shared;

/// <summary>What one pipeline did in one case: throughput, send→handle latency and bytes allocated per message.</summary>
/// <param name="PerSecond">Messages handled per second, from the first send to the last message handled.</param>
/// <param name="P50">The median latency in microseconds.</param>
/// <param name="P99">The 99th-percentile latency in microseconds.</param>
/// <param name="BytesPerMessage">Bytes allocated by the whole process (every thread) per message.</param>
internal sealed record Result(double PerSecond, double P50, double P99, double BytesPerMessage)
{
    /// <summary>The result of a run of <paramref name="count"/> messages.</summary>
    /// <param name="count">Messages handled.</param>
    /// <param name="elapsed">From the first send to the last message handled.</param>
    /// <param name="latencies">Send→handle latencies in microseconds, one per message (sorted here).</param>
    /// <param name="allocated">Bytes allocated during the run.</param>
    public static Result From(int count, TimeSpan elapsed, List<double> latencies, long allocated)
    {
        latencies.Sort();
        return new Result(count / elapsed.TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99), (double)allocated / count);
    }

    /// <summary>The nearest-rank percentile of sorted values; 0 when there are none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}

/// <summary>Measures one run: wall time and the bytes allocated by every thread, from <see cref="Start"/> on.</summary>
internal readonly struct RunMeter
{
    private readonly long _allocatedBefore;
    private readonly long _startedAt;

    private RunMeter(long allocatedBefore, long startedAt)
    {
        _allocatedBefore = allocatedBefore;
        _startedAt = startedAt;
    }

    /// <summary>Starts measuring: allocation counts every thread (a consumer's too), not only the caller's.</summary>
    public static RunMeter Start() => new(GC.GetTotalAllocatedBytes(precise: true), Stopwatch.GetTimestamp());

    /// <summary>The run's result, measured now.</summary>
    public Result Stop(int count, List<double> latencies)
    {
        var elapsed = Stopwatch.GetElapsedTime(_startedAt);
        return Result.From(count, elapsed, latencies, GC.GetTotalAllocatedBytes(precise: true) - _allocatedBefore);
    }
}

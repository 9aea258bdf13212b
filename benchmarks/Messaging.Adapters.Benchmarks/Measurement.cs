using System.Diagnostics;
using Messaging.Adapters.Benchmarks.Pipelines;

namespace Messaging.Adapters.Benchmarks;

/// <summary>
/// The numbers of one measured run.
/// </summary>
internal sealed record RunMeasurement(
    int Messages,
    double Seconds,
    double P50Microseconds,
    double P90Microseconds,
    double P99Microseconds,
    double MaxMicroseconds,
    double BytesPerMessage,
    double CpuMicrosecondsPerMessage,
    int Gen0Collections,
    int Gen1Collections,
    int Gen2Collections)
{
    public double MessagesPerSecond => Messages / Seconds;

    /// <summary>Runs one pipeline through one scenario and measures it.</summary>
    /// <remarks>
    /// The clock, the allocation counter and the CPU time start before the first message is created and stop when
    /// the last one has been handled. Allocation is <see cref="GC.GetTotalAllocatedBytes(bool)"/> (every thread, so
    /// the consumer's allocations count), and includes the payload and, for the adapter, the envelope the producer
    /// creates. Set-up and tear-down are outside the measurement.
    /// </remarks>
    public static async Task<RunMeasurement> MeasureAsync(IPipeline pipeline, Scenario scenario, DeliveryRecorder recorder, TimeSpan timeout)
    {
        recorder.Reset(scenario.Messages, signalEach: scenario.Mode == PublishMode.OneInFlight);
        var run = await pipeline.StartAsync(scenario, recorder).ConfigureAwait(false);
        await using (run.ConfigureAwait(false))
        {
            // Start from a clean heap so one run's garbage is not collected on the next run's time.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            var process = Process.GetCurrentProcess();
            var gen0 = GC.CollectionCount(0);
            var gen1 = GC.CollectionCount(1);
            var gen2 = GC.CollectionCount(2);
            var cpuBefore = process.TotalProcessorTime;
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var start = Stopwatch.GetTimestamp();

            await run.ProduceAsync().ConfigureAwait(false);
            await recorder.WaitForAllAsync(timeout).ConfigureAwait(false);

            var allocatedAfter = GC.GetTotalAllocatedBytes(precise: true);
            process.Refresh();
            var cpuAfter = process.TotalProcessorTime;
            var (latencies, lastHandledAt) = recorder.Collect();
            var count = scenario.Messages;
            return new RunMeasurement(
                count,
                Stopwatch.GetElapsedTime(start, lastHandledAt).TotalSeconds,
                Microseconds(Percentile(latencies, 0.50)),
                Microseconds(Percentile(latencies, 0.90)),
                Microseconds(Percentile(latencies, 0.99)),
                Microseconds(latencies[^1]),
                (double)(allocatedAfter - allocatedBefore) / count,
                (cpuAfter - cpuBefore).TotalMicroseconds / count,
                GC.CollectionCount(0) - gen0,
                GC.CollectionCount(1) - gen1,
                GC.CollectionCount(2) - gen2);
        }
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    private static long Percentile(long[] sorted, double fraction) => sorted[Math.Max(0, (int)Math.Ceiling(fraction * sorted.Length) - 1)];

    private static double Microseconds(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}

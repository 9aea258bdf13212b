using System.Globalization;
using System.Text;

namespace Messaging.Adapters.Benchmarks;

/// <summary>
/// The results as Markdown: one table, a row per metric, the adapter beside the raw channel and their ratio.
/// </summary>
internal static class MarkdownReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Build(
        BenchmarkSettings settings,
        IReadOnlyList<ScenarioResult> results,
        CostBreakdown breakdown,
        double targetMessagesPerSecond,
        DateTimeOffset date,
        string machine,
        string load)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant, $"Run {date:yyyy-MM-dd HH:mm} UTC on {machine}; {load}.");
        text.AppendLine(Invariant, $"{settings.Messages:N0} messages per run ({settings.OneInFlightMessages:N0} with one in flight), median of {settings.Repeat} run(s) by throughput, after one warm-up run per cell; one subscription, MaxInFlight {settings.MaxInFlight}.");
        text.AppendLine();
        text.AppendLine("| payload | mode | metric | in-memory adapter | raw Channel<T> | adapter ÷ raw |");
        text.AppendLine("|---|---|---|--:|--:|--:|");
        foreach (var result in results)
        {
            var (a, r) = (result.Adapter, result.Raw);
            var first = true;
            void Row(string metric, string adapter, string raw, string ratio)
            {
                var cells = first ? $"| {result.Scenario.PayloadSize} B | {result.Scenario.ModeName} |" : "| | |";
                text.AppendLine(Invariant, $"{cells} {metric} | {adapter} | {raw} | {ratio} |");
                first = false;
            }

            Row("throughput (msg/s)", Whole(a.MessagesPerSecond), Whole(r.MessagesPerSecond), Ratio(a.MessagesPerSecond, r.MessagesPerSecond));
            Row("latency p50 (µs)", Micro(a.P50Microseconds), Micro(r.P50Microseconds), Ratio(a.P50Microseconds, r.P50Microseconds));
            Row("latency p90 (µs)", Micro(a.P90Microseconds), Micro(r.P90Microseconds), Ratio(a.P90Microseconds, r.P90Microseconds));
            Row("latency p99 (µs)", Micro(a.P99Microseconds), Micro(r.P99Microseconds), Ratio(a.P99Microseconds, r.P99Microseconds));
            Row("latency max (µs)", Micro(a.MaxMicroseconds), Micro(r.MaxMicroseconds), Ratio(a.MaxMicroseconds, r.MaxMicroseconds));
            Row("allocated (B/msg)", Bytes(a.BytesPerMessage), Bytes(r.BytesPerMessage), Ratio(a.BytesPerMessage, r.BytesPerMessage));
            Row("CPU time (µs/msg)", Cpu(a.CpuMicrosecondsPerMessage), Cpu(r.CpuMicrosecondsPerMessage), Ratio(a.CpuMicrosecondsPerMessage, r.CpuMicrosecondsPerMessage));
            Row("GCs gen0/1/2", Gcs(a), Gcs(r), "");
        }

        text.AppendLine();
        text.AppendLine("Ratios: throughput below 1 means the adapter is slower; latency, allocation and CPU above 1 mean it costs more.");
        text.AppendLine("Latency runs from the moment a message is handed to PublishAsync / PublishBatchAsync / the channel writer (a batch shares one stamp) until its handler ran. In await-each and batched mode nothing slows the producer, so it mostly measures the queue that builds up behind a faster producer (a faster pipeline can show a longer one); the 1-in-flight rows measure the hop itself.");
        text.AppendLine("Allocation counts every thread and includes, in both columns, the payload array the producer allocates per message; for the adapter it also includes the Envelope the producer creates.");
        text.AppendLine();
        var throughputCells = results.Where(r => r.Scenario.Mode != PublishMode.OneInFlight).ToList();
        var met = throughputCells.Count(r => r.Adapter.MessagesPerSecond >= targetMessagesPerSecond);
        text.AppendLine(Invariant, $"Target ≥ {targetMessagesPerSecond:N0} msg/s through one subscription: met in {met} of {throughputCells.Count} throughput cells.");
        text.AppendLine();
        AppendBreakdown(text, breakdown);
        text.AppendLine();
        text.AppendLine("Throughput of every measured run (msg/s):");
        text.AppendLine();
        foreach (var result in results)
        {
            text.AppendLine(Invariant, $"- {result.Scenario.PayloadSize} B {result.Scenario.ModeName}: adapter {string.Join(", ", result.AdapterRuns.Select(m => Whole(m.MessagesPerSecond)))}; raw {string.Join(", ", result.RawRuns.Select(m => Whole(m.MessagesPerSecond)))}");
        }

        return text.ToString();
    }

    private static void AppendBreakdown(StringBuilder text, CostBreakdown b)
    {
        text.AppendLine(Invariant, $"Where the adapter's time goes ({b.Scenario.PayloadSize} B, {b.Scenario.ModeName}):");
        text.AppendLine();
        text.AppendLine("| measurement | msg/s | allocated (B/msg) | CPU time (µs/msg) |");
        text.AppendLine("|---|--:|--:|--:|");
        text.AppendLine(Invariant, $"| in-memory adapter, end to end (as in the table) | {Whole(b.Adapter.MessagesPerSecond)} | {Bytes(b.Adapter.BytesPerMessage)} | {Cpu(b.Adapter.CpuMicrosecondsPerMessage)} |");
        text.AppendLine(Invariant, $"| the same, envelopes created before the clock starts | {Whole(b.Prebuilt.MessagesPerSecond)} | {Bytes(b.Prebuilt.BytesPerMessage)} | {Cpu(b.Prebuilt.CpuMicrosecondsPerMessage)} |");
        text.AppendLine(Invariant, $"| `new Envelope(type, body)` alone, producer thread | {Whole(1e9 / b.Envelope.Nanoseconds)} | {Bytes(b.Envelope.Bytes)} | {Cpu(b.Envelope.Nanoseconds / 1000)} |");
        text.AppendLine(Invariant, $"| raw Channel<T> (as in the table) | {Whole(b.Raw.MessagesPerSecond)} | {Bytes(b.Raw.BytesPerMessage)} | {Cpu(b.Raw.CpuMicrosecondsPerMessage)} |");
        text.AppendLine();
        text.AppendLine("The envelope row is the ceiling the Envelope constructor puts on any single producer (msg/s = 1 / its time), whatever the transport.");
    }

    private static string Whole(double value) => value.ToString("N0", Invariant);

    private static string Micro(double value) => value < 10 ? value.ToString("0.00", Invariant) : value < 1000 ? value.ToString("0.0", Invariant) : value.ToString("N0", Invariant);

    private static string Bytes(double value) => value.ToString("0", Invariant);

    private static string Cpu(double value) => value.ToString("0.000", Invariant);

    private static string Ratio(double adapter, double raw) => (raw <= 0 ? double.NaN : adapter / raw) switch
    {
        double.NaN => "–",
        < 0.01 => "< 0.01",
        var ratio => ratio.ToString(ratio < 10 ? "0.00" : "0.0", Invariant),
    };

    private static string Gcs(RunMeasurement m) => $"{m.Gen0Collections}/{m.Gen1Collections}/{m.Gen2Collections}";
}

/// <summary>One cell of the matrix: the runs of both pipelines and the reported (median) run of each.</summary>
internal sealed record ScenarioResult(Scenario Scenario, IReadOnlyList<RunMeasurement> AdapterRuns, IReadOnlyList<RunMeasurement> RawRuns)
{
    public RunMeasurement Adapter => Median(AdapterRuns);

    public RunMeasurement Raw => Median(RawRuns);

    public static RunMeasurement Median(IReadOnlyList<RunMeasurement> runs) => runs.OrderBy(r => r.MessagesPerSecond).ElementAt(runs.Count / 2);
}

/// <summary>The diagnostic split of the adapter's cost: end to end, without creating envelopes, and the envelope alone.</summary>
internal sealed record CostBreakdown(Scenario Scenario, RunMeasurement Adapter, RunMeasurement Prebuilt, RunMeasurement Raw, (double Nanoseconds, double Bytes) Envelope);

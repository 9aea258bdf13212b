// Publish+consume throughput and publish→handle latency through the RabbitMQ adapter, beside raw RabbitMQ.Client
// with the same confirms, acknowledgements and prefetch, on the same broker in one run. See README.md.
using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;
using Messaging.Adapters.Benchmarks.RabbitMq;
using Messaging.Adapters.Benchmarks.Shared;
using Messaging.Adapters.RabbitMq;

var options = Options.Parse(args);
if (options is null)
{
    Console.WriteLine(Options.Usage);
    return 2;
}

#if DEBUG
await Console.Error.WriteLineAsync("This is a Debug build; its numbers mean nothing. Run: dotnet run -c Release --project benchmarks/Messaging.Adapters.Benchmarks.RabbitMq");
return 1;
#else
var uri = new Uri(Environment.GetEnvironmentVariable(RabbitMqTransportOptions.UriEnvironmentVariable) is { Length: > 0 } configured ? configured : RabbitMqTransportOptions.LocalUri);
var endpoint = new RabbitMqTransportOptions { Uri = uri }.ToString();
var runTimeout = TimeSpan.FromMinutes(1);
var budget = Stopwatch.StartNew();
Progress($"broker: {endpoint}; load average {LoadAverage()}");

var scenarios = new[]
{
    new Scenario(Mode.Batched, options.Messages, options.Size, options.Batch, options.Prefetch),
    new Scenario(Mode.AwaitEach, options.AwaitEachMessages, options.Size, options.Batch, options.Prefetch),
    new Scenario(Mode.OneInFlight, options.OneInFlightMessages, options.Size, options.Batch, options.Prefetch),
};
var recorder = new Recorder();
await using var adapter = new AdapterPipeline(uri);
await using var raw = new RawClientPipeline(uri);
IPipeline[] pipelines = [adapter, raw];

// Warm-up: every path of both pipelines once (JIT tiering, connections, channels), not reported.
foreach (var scenario in scenarios)
{
    foreach (var pipeline in pipelines)
    {
        await MeasureAsync(pipeline, scenario with { Messages = Math.Min(scenario.Messages, 300) });
    }
}

Progress("warm-up done");
var results = new Dictionary<(Scenario, string), List<Run>>();
for (var round = 0; round < options.Repeat; round++)
{
    foreach (var scenario in scenarios)
    {
        // Alternate which goes first, so neither always runs on a broker or heap the other just warmed.
        foreach (var pipeline in round % 2 == 0 ? pipelines : pipelines.Reverse())
        {
            var run = await MeasureAsync(pipeline, scenario);
            (results.TryGetValue((scenario, pipeline.Name), out var list) ? list : results[(scenario, pipeline.Name)] = []).Add(run);
            Progress($"{scenario.Describe(),-14} {pipeline.Name,-20} {run.MessagesPerSecond,10:N0} msg/s  p50 {run.P50,8:N0} µs  p99 {run.P99,8:N0} µs");
        }
    }
}

var report = Report(scenarios, results);
Console.WriteLine(report);
if (options.Output is { } output)
{
    await File.WriteAllTextAsync(output, report);
}

Progress($"done in {budget.Elapsed.TotalSeconds:N0} s");
return 0;

async Task<Run> MeasureAsync(IPipeline pipeline, Scenario scenario)
{
    var queue = $"benchmark-{pipeline.Name.Split(' ')[0]}-{Guid.NewGuid().ToString("N")[..8]}";
    recorder.Reset(scenario.Messages);
    await pipeline.StartRunAsync(queue, scenario, recorder);
    try
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        await pipeline.ProduceAsync(scenario, recorder);
        await recorder.WaitForAllAsync(runTimeout);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var (latencies, lastHandledAt) = recorder.Collect();
        return new Run(
            scenario.Messages / Stopwatch.GetElapsedTime(start, lastHandledAt).TotalSeconds,
            Result.Percentile(latencies, 0.50),
            Result.Percentile(latencies, 0.99),
            cpu.TotalMicroseconds / scenario.Messages,
            (double)allocated / scenario.Messages);
    }
    finally
    {
        await pipeline.EndRunAsync();
    }
}

string Report(Scenario[] cells, Dictionary<(Scenario, string), List<Run>> runs)
{
    var text = new StringBuilder();
    var inv = CultureInfo.InvariantCulture;
    text.AppendLine(inv, $"Run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Machine()}; broker RabbitMQ at {endpoint} (same machine unless {RabbitMqTransportOptions.UriEnvironmentVariable} says otherwise); load average {LoadAverage()}.");
    text.AppendLine(inv, $"One durable quorum queue per run, {options.Size}-byte bodies, publisher confirms on every message, mandatory persistent publishes, prefetch {options.Prefetch}, manual acknowledgement after the handler; median of {options.Repeat} run(s) by throughput after a warm-up.");
    text.AppendLine();
    text.AppendLine("| mode | metric | adapter | raw RabbitMQ.Client | adapter's speed ÷ raw's |");
    text.AppendLine("|---|---|---:|---:|---:|");
    foreach (var scenario in cells)
    {
        var a = Median(runs[(scenario, adapter.Name)]);
        var r = Median(runs[(scenario, raw.Name)]);
        var name = $"{scenario.Describe()}, {scenario.Messages:N0} msgs";
        if (scenario.Mode != Mode.OneInFlight)
        {
            text.AppendLine(inv, $"| {name} | throughput (msg/s) | {a.MessagesPerSecond:N0} | {r.MessagesPerSecond:N0} | {a.MessagesPerSecond / r.MessagesPerSecond:0.00}× |");
        }

        text.AppendLine(inv, $"| {name} | latency p50 (µs) | {a.P50:N0} | {r.P50:N0} | {r.P50 / a.P50:0.00}× |");
        text.AppendLine(inv, $"| {name} | latency p99 (µs) | {a.P99:N0} | {r.P99:N0} | {r.P99 / a.P99:0.00}× |");
        text.AppendLine(inv, $"| {name} | CPU (µs/msg, this process) | {a.CpuMicroseconds:N1} | {r.CpuMicroseconds:N1} | {r.CpuMicroseconds / a.CpuMicroseconds:0.00}× |");
        text.AppendLine(inv, $"| {name} | allocated (B/msg) | {a.BytesPerMessage:N0} | {r.BytesPerMessage:N0} | {r.BytesPerMessage / a.BytesPerMessage:0.00}× |");
    }

    text.AppendLine();
    text.AppendLine("The last column is the adapter's speed relative to raw RabbitMQ.Client: throughput adapter ÷ raw, latency, CPU and allocation raw ÷ adapter; 1.00× is parity, the target is 0.90× or better. CPU and allocation are of this process only (the broker's are not counted).");
    text.AppendLine();
    foreach (var scenario in cells)
    {
        foreach (var name in new[] { adapter.Name, raw.Name })
        {
            text.AppendLine(inv, $"- {scenario.Describe()}, {name}: {string.Join(", ", runs[(scenario, name)].Select(x => x.MessagesPerSecond.ToString("N0", inv)))} msg/s");
        }
    }

    return text.ToString();
}

static Run Median(List<Run> runs) => runs.OrderBy(r => r.MessagesPerSecond).ElementAt(runs.Count / 2);

static void Progress(string line) => Console.Error.WriteLine(line);

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

static string Machine()
{
    var model = File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
        : null;
    return $"{model ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC";
}
#endif

/// <summary>The numbers of one measured run.</summary>
internal sealed record Run(double MessagesPerSecond, double P50, double P99, double CpuMicroseconds, double BytesPerMessage);

/// <summary>Command-line options.</summary>
internal sealed record Options(int Messages, int AwaitEachMessages, int OneInFlightMessages, int Size, int Batch, ushort Prefetch, int Repeat, string? Output)
{
    public const string Usage = """
        Usage: dotnet run -c Release --project benchmarks/Messaging.Adapters.Benchmarks.RabbitMq -- [options]
          --messages N        messages per batched run (default 10000)
          --await-each N      messages per await-each run (default 1500)
          --one-in-flight N   messages per 1-in-flight run (default 500)
          --size BYTES        body size (default 256)
          --batch B           batch size in batched mode (default 100)
          --prefetch P        consumer prefetch = MaxInFlight (default 64)
          --repeat R          measured runs per cell (default 5)
          --output FILE       also write the report to FILE
        The broker is MESSAGING_RABBITMQ_URI (default amqp://guest:guest@localhost:5672/).
        """;

    public static Options? Parse(string[] args)
    {
        var o = new Options(10_000, 1_500, 500, 256, 100, 64, 5, null);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Number() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--messages": o = o with { Messages = Number() }; break;
                case "--await-each": o = o with { AwaitEachMessages = Number() }; break;
                case "--one-in-flight": o = o with { OneInFlightMessages = Number() }; break;
                case "--size": o = o with { Size = Math.Max(4, Number()) }; break;
                case "--batch": o = o with { Batch = Number() }; break;
                case "--prefetch": o = o with { Prefetch = checked((ushort)Number()) }; break;
                case "--repeat": o = o with { Repeat = Number() }; break;
                case "--output": o = o with { Output = Next() }; break;
                default: return null;
            }
        }

        return o;
    }
}

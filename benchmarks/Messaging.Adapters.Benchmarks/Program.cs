// Throughput, latency and allocation of the in-memory transport through one subscription, beside a bare
// System.Threading.Channels pipeline doing the same work, in the same process and run. See ../README.md.
using System.Globalization;
using Messaging.Adapters.Benchmarks;
using Messaging.Adapters.Benchmarks.Pipelines;

const double TargetMessagesPerSecond = 1_000_000;
var timeout = TimeSpan.FromMinutes(2);

BenchmarkSettings settings;
try
{
    settings = BenchmarkSettings.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync($"{ex.Message}{Environment.NewLine}{BenchmarkSettings.Usage}").ConfigureAwait(false);
    return 2;
}

if (settings.ShowHelp)
{
    Console.WriteLine(BenchmarkSettings.Usage);
    return 0;
}

if (BuildInfo.IsDebug)
{
    await Console.Error.WriteLineAsync("This is a Debug build; its numbers mean nothing. Run: dotnet run -c Release --project benchmarks/Messaging.Adapters.Benchmarks").ConfigureAwait(false);
    return 1;
}

var machine = MachineInfo.Describe();
var date = DateTimeOffset.UtcNow;
var loadBefore = MachineInfo.LoadAverage();
Progress($"machine: {machine}; load average {loadBefore}");
Progress($"{settings.Messages:N0} messages per run ({settings.OneInFlightMessages:N0} with one in flight), {settings.Repeat} run(s) per cell, warm-up {settings.WarmupMessages:N0}, batch {settings.BatchSize}, MaxInFlight {settings.MaxInFlight}");

IPipeline adapter = new InMemoryAdapterPipeline();
IPipeline raw = new RawChannelPipeline();
using var recorder = new DeliveryRecorder(new[] { settings.Messages, settings.WarmupMessages, settings.OneInFlightMessages }.Max());
var cells = settings.PayloadSizes
    .SelectMany(size => new[]
    {
        new Scenario(size, PublishMode.AwaitEach, settings.Messages, settings.BatchSize, settings.MaxInFlight),
        new Scenario(size, PublishMode.Batched, settings.Messages, settings.BatchSize, settings.MaxInFlight),
        new Scenario(size, PublishMode.OneInFlight, settings.OneInFlightMessages, settings.BatchSize, settings.MaxInFlight),
    })
    .Select(scenario => (Scenario: scenario, Pipelines: new[] { adapter, raw }))
    .ToList();

// A diagnostic cell: the adapter with its envelopes created before the clock starts, to split the Envelope's cost
// from the transport's. Reported separately, never as the adapter's result.
var prebuilt = new InMemoryAdapterPipeline(prebuildEnvelopes: true);
var diagnostic = new Scenario(settings.PayloadSizes[0], PublishMode.AwaitEach, settings.Messages, settings.BatchSize, settings.MaxInFlight);
cells.Add((diagnostic, [prebuilt]));

// Warm-up: every code path of every cell runs once (JIT tiering, PGO, thread pool growth) before anything counts.
foreach (var (scenario, pipelines) in cells)
{
    foreach (var pipeline in pipelines)
    {
        var warmup = scenario with { Messages = Math.Min(settings.WarmupMessages, scenario.Messages) };
        await RunMeasurement.MeasureAsync(pipeline, warmup, recorder, timeout).ConfigureAwait(false);
    }
}

EnvelopeCost.Measure(settings.WarmupMessages, settings.PayloadSizes[0]);
Progress("warm-up done");

var runs = new Dictionary<(Scenario, IPipeline), List<RunMeasurement>>();
for (var round = 0; round < settings.Repeat; round++)
{
    foreach (var (scenario, pipelines) in cells)
    {
        // Alternate which pipeline goes first, so neither always runs on a heap or thread pool the other warmed.
        foreach (var pipeline in round % 2 == 0 ? pipelines : pipelines.Reverse())
        {
            var measurement = await RunMeasurement.MeasureAsync(pipeline, scenario, recorder, timeout).ConfigureAwait(false);
            AddRun(runs, (scenario, pipeline), measurement);
            Progress($"run {round + 1}: {scenario.PayloadSize,3} B {scenario.ModeName,-14} {pipeline.Name,-36} {measurement.MessagesPerSecond,12:N0} msg/s  p50 {measurement.P50Microseconds,9:0.0} µs  {measurement.BytesPerMessage,6:0} B/msg");
        }
    }
}

var envelopeCost = EnvelopeCost.Measure(settings.Messages, settings.PayloadSizes[0]);
var results = cells
    .Where(c => c.Pipelines.Length == 2)
    .Select(c => new ScenarioResult(c.Scenario, runs[(c.Scenario, adapter)], runs[(c.Scenario, raw)]))
    .ToList();
var breakdown = new CostBreakdown(
    diagnostic,
    ScenarioResult.Median(runs[(diagnostic, adapter)]),
    ScenarioResult.Median(runs[(diagnostic, prebuilt)]),
    ScenarioResult.Median(runs[(diagnostic, raw)]),
    envelopeCost);
var load = $"load average (1/5/15 min) {loadBefore} before, {MachineInfo.LoadAverage()} after";
var report = MarkdownReport.Build(settings, results, breakdown, TargetMessagesPerSecond, date, machine, load);
Console.WriteLine();
Console.WriteLine(report);
if (settings.OutputFile is { } file)
{
    await File.WriteAllTextAsync(file, report).ConfigureAwait(false);
    Progress($"report written to {file}");
}

return 0;

static void AddRun(Dictionary<(Scenario, IPipeline), List<RunMeasurement>> runs, (Scenario, IPipeline) key, RunMeasurement measurement)
{
    if (!runs.TryGetValue(key, out var list))
    {
        runs[key] = list = [];
    }

    list.Add(measurement);
}

static void Progress(string line) => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{DateTime.UtcNow:HH:mm:ss}] {line}"));

// The Kafka adapter beside raw Confluent.Kafka on the same cluster, in one run. See README.md.
//   dotnet run -c Release --project benchmarks/Messaging.Adapters.Benchmarks.Kafka -- [--messages N] [--io-messages N] [--size BYTES]
using System.Diagnostics;
using System.Globalization;
using Messaging.Adapters.Benchmarks.Kafka;

var messages = Argument("--messages", 20_000);
var ioMessages = Argument("--io-messages", 2_000);
var size = Argument("--size", 256);
#if DEBUG
await Console.Error.WriteLineAsync("This is a Debug build; its numbers mean nothing. Run it with -c Release.");
return 1;
#else
var bootstrap = Cluster.Bootstrap();
Console.WriteLine($"cluster: {bootstrap}; {messages:N0} messages of {size} B, {ioMessages:N0} for the 1 ms handler case");

await using var adapter = new AdapterPipeline(bootstrap);
var raw = new RawPipeline(bootstrap);
// Warm-up (JIT, connections, group joins), not reported.
await adapter.RunAsync(Math.Min(messages, 500), size, handlerDelay: TimeSpan.Zero, maxInFlight: 256);
await raw.RunAsync(Math.Min(messages, 500), size, handlerDelay: TimeSpan.Zero);

var rows = new List<(string Case, Result Adapter, Result Raw)>
{
    ("produce+consume", await adapter.RunAsync(messages, size, TimeSpan.Zero, maxInFlight: 256), await raw.RunAsync(messages, size, TimeSpan.Zero)),
    ("handler awaits 1 ms", await adapter.RunAsync(ioMessages, size, TimeSpan.FromMilliseconds(1), maxInFlight: 64), await raw.RunAsync(ioMessages, size, TimeSpan.FromMilliseconds(1))),
};

Console.WriteLine();
Console.WriteLine("| case | adapter msg/s | raw msg/s | throughput ratio | adapter p50/p99 µs | raw p50/p99 µs | adapter B/msg | raw B/msg |");
Console.WriteLine("|---|---|---|---|---|---|---|---|");
foreach (var (name, a, r) in rows)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {a.PerSecond:N0} | {r.PerSecond:N0} | {a.PerSecond / r.PerSecond:0.00}x | {a.P50:N0}/{a.P99:N0} | {r.P50:N0}/{r.P99:N0} | {a.BytesPerMessage:N0} | {r.BytesPerMessage:N0} |"));
}

return 0;
#endif

int Argument(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

/// <summary>What one pipeline did in one case.</summary>
internal sealed record Result(double PerSecond, double P50, double P99, double BytesPerMessage)
{
    public static Result From(int count, Stopwatch elapsed, List<double> latencies, long allocated)
    {
        latencies.Sort();
        return new Result(
            count / elapsed.Elapsed.TotalSeconds,
            latencies.Count == 0 ? 0 : latencies[latencies.Count / 2],
            latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(latencies.Count * 0.99))],
            (double)allocated / count);
    }
}

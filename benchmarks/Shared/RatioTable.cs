using System.Globalization;

namespace Messaging.Adapters.Benchmarks.Shared;

/// <summary>The adapter beside the raw client, one row per case, as a Markdown table with the throughput ratio.</summary>
internal static class RatioTable
{
    /// <summary>Writes the table to standard output.</summary>
    /// <param name="rows">Each case's name and both pipelines' results.</param>
    public static void Print(IEnumerable<(string Case, Result Adapter, Result Raw)> rows)
    {
        Console.WriteLine();
        Console.WriteLine("| case | adapter msg/s | raw msg/s | throughput ratio | adapter p50/p99 µs | raw p50/p99 µs | adapter B/msg | raw B/msg |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var (name, a, r) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {a.PerSecond:N0} | {r.PerSecond:N0} | {a.PerSecond / r.PerSecond:0.00}x | {a.P50:N0}/{a.P99:N0} | {r.P50:N0}/{r.P99:N0} | {a.BytesPerMessage:N0} | {r.BytesPerMessage:N0} |"));
        }
    }
}

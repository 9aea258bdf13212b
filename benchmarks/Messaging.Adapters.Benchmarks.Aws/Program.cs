// The AWS adapter's SQS queues beside the same AWSSDK.SQS calls made directly, on the same endpoint, in one run. See README.md.
//   dotnet run -c Release --project benchmarks/Messaging.Adapters.Benchmarks.Aws -- [--messages N] [--io-messages N] [--size BYTES] [--max-in-flight M]
using System.Globalization;
using Messaging.Adapters.Benchmarks.Aws;
using Messaging.Adapters.Benchmarks.Shared;

var messages = CommandLine.Argument(args, "--messages", 10_000);
var ioMessages = CommandLine.Argument(args, "--io-messages", 2_000);
var size = CommandLine.Argument(args, "--size", 256);
var maxInFlight = CommandLine.Argument(args, "--max-in-flight", 64);
if (ReleaseBuild.IsMissing())
{
    return 1;
}

Endpoint.ApplyDefaults();
Console.WriteLine($"{Endpoint.Description}; {messages:N0} messages of {size} B, {ioMessages:N0} for the 1 ms handler case; adapter MaxInFlight {maxInFlight}");

var requests = new RequestCounter();
await using var adapter = new AdapterPipeline(requests);
using var raw = new RawPipeline(requests);

// Warm-up (JIT, connections), not reported.
await adapter.RunAsync(Math.Min(messages, 200), size, TimeSpan.Zero, maxInFlight);
await raw.RunAsync(Math.Min(messages, 200), size, TimeSpan.Zero);

var cases = new List<(string Case, int Messages, Run Adapter, Run Raw)>
{
    ("send+receive+delete", messages, await adapter.RunAsync(messages, size, TimeSpan.Zero, maxInFlight), await raw.RunAsync(messages, size, TimeSpan.Zero)),
    ("handler awaits 1 ms", ioMessages, await adapter.RunAsync(ioMessages, size, TimeSpan.FromMilliseconds(1), maxInFlight), await raw.RunAsync(ioMessages, size, TimeSpan.FromMilliseconds(1))),
};

RatioTable.Print(cases.Select(c => (c.Case, c.Adapter.Result, c.Raw.Result)));

Console.WriteLine();
Console.WriteLine("Messages per HTTP request (target ≥ 8 for the adapter), and the other requests each run made:");
Console.WriteLine();
Console.WriteLine("| case | side | send | receive | delete | other requests |");
Console.WriteLine("|---|---|---|---|---|---|");
foreach (var (name, count, adapterRun, rawRun) in cases)
{
    foreach (var (side, run) in new[] { ("adapter", adapterRun), ("raw", rawRun) })
    {
        var r = run.Requests;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {side} | {r.PerRequest(count, "SendMessageBatch"):0.0} | {r.PerRequest(count, "ReceiveMessage"):0.0} | {r.PerRequest(count, "DeleteMessageBatch"):0.0} | {r.Others()} |"));
    }
}

return 0;

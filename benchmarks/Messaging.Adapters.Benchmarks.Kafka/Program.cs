// The Kafka adapter beside raw Confluent.Kafka on the same cluster, in one run. See README.md.
//   dotnet run -c Release --project benchmarks/Messaging.Adapters.Benchmarks.Kafka -- [--messages N] [--io-messages N] [--size BYTES]
using Messaging.Adapters.Benchmarks.Kafka;
using Messaging.Adapters.Benchmarks.Shared;

var messages = CommandLine.Argument(args, "--messages", 20_000);
var ioMessages = CommandLine.Argument(args, "--io-messages", 2_000);
var size = CommandLine.Argument(args, "--size", 256);
if (ReleaseBuild.IsMissing())
{
    return 1;
}

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

RatioTable.Print(rows);

return 0;

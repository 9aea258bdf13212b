// The test broker: librdkafka's mock cluster (the Kafka protocol on 127.0.0.1, consumer groups, committed offsets,
// fault injection) kept alive in its own process, so that the conformance suite, the fault tests, the benchmark and
// the sample share one cluster. eng/brokers/kafka.sh builds and starts it.
//
//   KafkaMock --state-dir DIR [--brokers 3] [--rebalance-delay-ms 300]
//
// It writes DIR/bootstrap (the bootstrap servers), DIR/control (host:port of the control channel) and DIR/pid, then
// serves the control channel until it is killed. The control channel is one request per line on loopback TCP, one
// answer line each ("ok ..." or "error ..."); see ControlChannel.cs for the commands.
using System.Globalization;
using Messaging.Adapters.KafkaMock;

var stateDir = Option("--state-dir") ?? throw new ArgumentException("--state-dir DIR is required.");
var brokers = int.Parse(Option("--brokers") ?? "3", CultureInfo.InvariantCulture);
var rebalanceDelay = int.Parse(Option("--rebalance-delay-ms") ?? "300", CultureInfo.InvariantCulture);

using var cluster = MockCluster.Create(brokers);
// A group's first rebalance waits this long for more members; with no delay a second member joining makes the first
// member's commits fail with RebalanceInProgress (design.md).
cluster.SetInitialRebalanceDelay(rebalanceDelay);
// DescribeCluster (and the admin client's controller look-ups) need a controller.
cluster.SetControllerId(1);

using var control = new ControlChannel(cluster);
Directory.CreateDirectory(stateDir);
WriteAtomically(Path.Combine(stateDir, "bootstrap"), cluster.Bootstraps);
WriteAtomically(Path.Combine(stateDir, "control"), control.Endpoint);
WriteAtomically(Path.Combine(stateDir, "pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
Console.WriteLine($"kafka mock cluster: {brokers} brokers at {cluster.Bootstraps}; control channel at {control.Endpoint}");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
await control.ServeAsync(stop.Token);
return 0;

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static void WriteAtomically(string path, string text)
{
    var temporary = path + ".tmp";
    File.WriteAllText(temporary, text + "\n");
    File.Move(temporary, path, overwrite: true);
}

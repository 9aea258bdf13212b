using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Messaging.Adapters.KafkaMock;

/// <summary>
/// The mock cluster's control channel on loopback TCP: one command per line, one answer line each, "ok [value]" or
/// "error reason". Fault tests use it to create topics, take brokers down and up and push request errors.
/// </summary>
/// <remarks>
/// Commands: <c>ping</c>; <c>bootstrap</c>; <c>create-topic NAME PARTITIONS [REPLICATION]</c>;
/// <c>delete-topic NAME</c>; <c>leader TOPIC PARTITION BROKER</c>; <c>broker-down ID</c>; <c>broker-up ID</c>;
/// <c>broker-rtt ID MS</c>; <c>push-errors APIKEY ERR[,ERR...]</c> (Kafka error codes, e.g. 6 NOT_LEADER);
/// <c>clear-errors APIKEY</c>; <c>rebalance-delay MS</c>.
/// </remarks>
internal sealed class ControlChannel(MockCluster cluster) : IDisposable
{
    private readonly TcpListener _listener = StartListener();

    public string Endpoint => ((IPEndPoint)_listener.LocalEndpoint).ToString();

    public async Task ServeAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellationToken);
                _ = ServeClientAsync(client, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public void Dispose() => _listener.Dispose();

    private static TcpListener StartListener()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private async Task ServeClientAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.UTF8);
                await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    string answer;
                    try
                    {
                        answer = Execute(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    }
                    catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or OverflowException)
                    {
                        answer = "error bad command: " + line;
                    }

                    await writer.WriteLineAsync(answer);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
                // The client went away.
            }
        }
    }

    private string Execute(string[] words)
    {
        static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);
        if (words.Length == 0)
        {
            return "error empty command";
        }

        switch (words[0])
        {
            case "ping":
                return "ok";
            case "bootstrap":
                return "ok " + cluster.Bootstraps;
            case "create-topic":
                return Result(cluster.CreateTopic(words[1], Int(words[2]), words.Length > 3 ? Int(words[3]) : 1));
            case "delete-topic":
                return Result(cluster.DeleteTopic(words[1]));
            case "leader":
                return Result(cluster.SetLeader(words[1], Int(words[2]), Int(words[3])));
            case "broker-down":
                return Result(cluster.BrokerDown(Int(words[1])));
            case "broker-up":
                return Result(cluster.BrokerUp(Int(words[1])));
            case "broker-rtt":
                return Result(cluster.BrokerRtt(Int(words[1]), Int(words[2])));
            case "push-errors":
                cluster.PushRequestErrors(short.Parse(words[1], CultureInfo.InvariantCulture), words[2].Split(',').Select(Int).ToArray());
                return "ok";
            case "clear-errors":
                cluster.ClearRequestErrors(short.Parse(words[1], CultureInfo.InvariantCulture));
                return "ok";
            case "rebalance-delay":
                cluster.SetInitialRebalanceDelay(Int(words[1]));
                return "ok";
            default:
                return "error unknown command " + words[0];
        }
    }

    private static string Result(int error) => error == 0 ? "ok" : "error " + MockCluster.ErrorName(error);
}

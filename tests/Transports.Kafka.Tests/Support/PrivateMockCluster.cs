using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Messaging.Adapters.Integration.Transports.Kafka;

namespace Messaging.Adapters.Kafka.Tests.Support;

/// <summary>
/// A librdkafka mock cluster of the fault tests' own: the process eng/brokers/kafka.sh built, started here with its own
/// state directory, so that brokers taken down and errors pushed never reach the cluster the conformance suite shares.
/// Its control channel creates topics, takes brokers down and up and pushes request errors.
/// </summary>
public sealed class PrivateMockCluster : IAsyncLifetime
{
    private readonly string _stateDirectory = Path.Combine(Path.GetTempPath(), "messaging-adapters-kafka-faults-" + Guid.NewGuid().ToString("N")[..8]);
    private Process? _process;
    private string? _control;

    /// <summary>The cluster's bootstrap servers.</summary>
    public string Bootstrap { get; private set; } = "";

    /// <summary>Kafka API keys the tests push errors on.</summary>
    public static class Api
    {
        public const short Produce = 0;
        public const short Fetch = 1;
        public const short OffsetCommit = 8;
        public const short JoinGroup = 11;
        public const short SyncGroup = 14;
    }

    public async ValueTask InitializeAsync()
    {
        var mock = Path.Combine(KafkaTestCluster.StateDirectory, "bin", "KafkaMock.dll");
        if (!File.Exists(mock))
        {
            throw new InvalidOperationException($"The Kafka mock cluster is not built at {mock}: run `bash eng/brokers/kafka.sh` first (it builds and starts it).");
        }

        Directory.CreateDirectory(_stateDirectory);
        _process = Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList = { mock, "--state-dir", _stateDirectory, "--brokers", "3", "--rebalance-delay-ms", "300" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("Could not start the Kafka mock cluster.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var bootstrapFile = Path.Combine(_stateDirectory, "bootstrap");
        var controlFile = Path.Combine(_stateDirectory, "control");
        while (!File.Exists(bootstrapFile) || !File.Exists(controlFile))
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                throw new InvalidOperationException($"The private Kafka mock cluster did not start (state in {_stateDirectory}).");
            }

            await Task.Delay(100);
        }

        Bootstrap = (await File.ReadAllTextAsync(bootstrapFile)).Trim();
        _control = (await File.ReadAllTextAsync(controlFile)).Trim();
        Assert.Equal("ok", await SendAsync("ping"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_stateDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
    }

    /// <summary>Transport options for this cluster with short group timings.</summary>
    public KafkaTransportOptions Options(string clientId) => new()
    {
        BootstrapServers = Bootstrap,
        ClientId = clientId,
        SessionTimeout = TimeSpan.FromMilliseconds(6000),
        CommitInterval = TimeSpan.FromMilliseconds(200),
        RevokeTimeout = TimeSpan.FromSeconds(5),
    };

    public Task CreateTopicAsync(string topic, int partitions, int replication = 3) => ExpectOkAsync($"create-topic {topic} {partitions} {replication}");

    public Task SetLeaderAsync(string topic, int partition, int broker) => ExpectOkAsync(string.Create(CultureInfo.InvariantCulture, $"leader {topic} {partition} {broker}"));

    public Task BrokerDownAsync(int broker) => ExpectOkAsync(string.Create(CultureInfo.InvariantCulture, $"broker-down {broker}"));

    public Task BrokerUpAsync(int broker) => ExpectOkAsync(string.Create(CultureInfo.InvariantCulture, $"broker-up {broker}"));

    /// <summary>Makes the next requests of one API answer with these Kafka error codes, one per request.</summary>
    public Task PushErrorsAsync(short apiKey, params int[] errors) =>
        ExpectOkAsync(string.Create(CultureInfo.InvariantCulture, $"push-errors {apiKey} {string.Join(',', errors)}"));

    public Task ClearErrorsAsync(short apiKey) => ExpectOkAsync(string.Create(CultureInfo.InvariantCulture, $"clear-errors {apiKey}"));

    private async Task ExpectOkAsync(string command)
    {
        var answer = await SendAsync(command);
        if (answer != "ok")
        {
            throw new InvalidOperationException($"Mock cluster control '{command}' answered '{answer}'.");
        }
    }

    private async Task<string> SendAsync(string command)
    {
        var colon = _control!.LastIndexOf(':');
        using var client = new TcpClient();
        await client.ConnectAsync(_control[..colon], int.Parse(_control[(colon + 1)..], CultureInfo.InvariantCulture));
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadLineAsync() ?? "error no answer";
    }
}

using System.Diagnostics;
using RabbitMQ.Client;

// The broker tests share one broker, and the fault tests restart it: nothing in this assembly runs in parallel.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Messaging.Adapters.RabbitMq.Tests.Support;

/// <summary>
/// The broker the tests use: <c>MESSAGING_RABBITMQ_URI</c>, or the local one that <c>eng/brokers/rabbitmq.sh</c>
/// starts. A broker that cannot be reached fails the tests (with the address and the variable); it never skips them.
/// </summary>
internal static class TestBroker
{
    /// <summary>The environment variable naming the command that runs <c>rabbitmqctl</c> for the fault tests
    /// (for example <c>docker exec rabbit rabbitmqctl</c>); default <c>rabbitmqctl</c>.</summary>
    public const string RabbitmqctlEnvironmentVariable = "MESSAGING_RABBITMQCTL";

    public static Uri Uri { get; } = new(Environment.GetEnvironmentVariable(RabbitMqTransportOptions.UriEnvironmentVariable) is { Length: > 0 } configured
        ? configured
        : RabbitMqTransportOptions.LocalUri);

    public static string Describe => $"{new RabbitMqTransportOptions { Uri = Uri }} ({RabbitMqTransportOptions.UriEnvironmentVariable})";

    public static RabbitMqTransportOptions Options(Action<RabbitMqTransportOptions>? configure = null)
    {
        var options = new RabbitMqTransportOptions
        {
            Uri = Uri,
            ClientName = "adapter-tests",
            RecoveryInterval = TimeSpan.FromMilliseconds(500),
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A connected transport; fails with the broker's address when it cannot connect.</summary>
    public static async Task<RabbitMqTransport> ConnectAsync(Action<RabbitMqTransportOptions>? configure = null, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null)
    {
        var transport = new RabbitMqTransport(Options(configure), loggerFactory: loggerFactory);
        try
        {
            await transport.ConnectAsync(TestContext.Current.CancellationToken);
            return transport;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await transport.DisposeAsync();
            throw new InvalidOperationException($"The RabbitMQ broker at {Describe} cannot be reached: {ex.Message}", ex);
        }
    }

    /// <summary>A plain RabbitMQ.Client connection, to look at the broker behind the adapter's back.</summary>
    public static Task<IConnection> ConnectRawAsync() =>
        new ConnectionFactory { Uri = Uri, ClientProvidedName = "adapter-tests (raw)" }.CreateConnectionAsync(TestContext.Current.CancellationToken);

    /// <summary>Takes one message from a queue with <c>basic.get</c>, waiting up to 15 s for it to arrive.</summary>
    public static async Task<BasicGetResult> GetOneAsync(IChannel channel, string queue, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (await channel.BasicGetAsync(queue, true, cancellationToken) is { } got)
            {
                return got;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"Nothing arrived in {queue} within 15 s.");
    }

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    /// <summary>Runs <c>rabbitmqctl</c> with arguments and fails with its output when it does not succeed.</summary>
    public static Task RabbitmqctlAsync(params string[] arguments) => RunRabbitmqctlAsync(arguments);

    /// <summary>Runs rabbitmqctl and returns what it printed.</summary>
    public static Task<string> RabbitmqctlOutputAsync(params string[] arguments) => RunRabbitmqctlAsync(arguments);

    /// <summary>The names of every queue of the default virtual host, as <c>rabbitmqctl list_queues</c> gives them.</summary>
    public static async Task<IReadOnlyList<string>> QueueNamesAsync() =>
        (await RunRabbitmqctlAsync(["list_queues", "name", "--silent", "--no-table-headers"]))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<string> RunRabbitmqctlAsync(string[] arguments)
    {
        var command = (Environment.GetEnvironmentVariable(RabbitmqctlEnvironmentVariable) is { Length: > 0 } configured ? configured : "rabbitmqctl")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var part in command.Skip(1).Concat(arguments))
        {
            start.ArgumentList.Add(part);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command[0]}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{string.Join(' ', command.Concat(arguments))}' exited with {process.ExitCode}: {await output} {await error}");
        }

        return await output;
    }

    /// <summary>Takes the broker for a fault test: waits until no conformance run shares it (they hold a shared lock
    /// on the same file for as long as their process lives), then holds it exclusively until disposed.</summary>
    /// <remarks>Polls, because another process's file lock has no notification to wait on.</remarks>
    public static async Task<IDisposable> TakeExclusivelyAsync(TimeSpan timeout)
    {
        var path = Path.Combine(Path.GetTempPath(), "messaging-adapters-rabbitmq-faults.lock");
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
            }
        }
    }
}

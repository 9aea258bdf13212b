using Messaging.Adapters.Tests.Brokers;
using RabbitMQ.Client;

// The broker tests share one broker; nothing in this assembly runs in parallel, so that each test's timing is its own.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// Every broker test needs the broker: it is had (or its absence fails the run) before the first test.
[assembly: AssemblyFixture(typeof(Messaging.Adapters.RabbitMq.Tests.Support.TestBroker.Started))]

namespace Messaging.Adapters.RabbitMq.Tests.Support;

/// <summary>
/// The broker the tests use (<see cref="RabbitMqTestBroker"/>): a RabbitMQ container this test process starts, or the
/// broker at <c>MESSAGING_RABBITMQ_URI</c>. A broker that cannot be had fails the tests (with the address or the
/// container engine's error); it never skips them. Fault tests take a broker of their own.
/// </summary>
internal static class TestBroker
{
    private static Uri? uri;

    public static Uri Uri => uri ?? throw new InvalidOperationException("The broker has not been started: TestBroker.Started is the assembly's fixture.");

    public static string Describe => RabbitMqTestBroker.Describe(Uri);

    /// <summary>The broker's user, which the broker checks a message's <c>user_id</c> against.</summary>
    public static string UserName => Credentials.Split(':')[0];

    /// <summary>The <c>user:password</c> of the broker's address, which no log line, error or description may show.</summary>
    /// <value>RabbitMQ's default, <c>guest:guest</c>, when the address has none.</value>
    public static string Credentials => Uri.UserInfo is { Length: > 0 } userInfo ? System.Uri.UnescapeDataString(userInfo) : "guest:guest";

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
        var options = Options(configure);
        var transport = new RabbitMqTransport(options, loggerFactory: loggerFactory);
        try
        {
            await transport.ConnectAsync(TestContext.Current.CancellationToken);
            return transport;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await transport.DisposeAsync();
            throw new InvalidOperationException($"{RabbitMqTestBroker.Describe(options.Uri ?? Uri)} cannot be reached: {ex.Message}", ex);
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

    /// <summary>Runs <c>rabbitmqctl</c> on the shared broker and fails with its output when it does not succeed.</summary>
    public static Task<string> RabbitmqctlAsync(params string[] arguments) =>
        RabbitMqTestBroker.RabbitmqctlAsync(arguments, TestContext.Current.CancellationToken);

    /// <summary>The names of every queue of the default virtual host, as <c>rabbitmqctl list_queues</c> gives them.</summary>
    public static async Task<IReadOnlyList<string>> QueueNamesAsync() =>
        (await RabbitMqTestBroker.RabbitmqctlAsync(["list_queues", "name", "--silent", "--no-table-headers"], TestContext.Current.CancellationToken))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Has the shared broker before the first test, outside every test's own time budget.</summary>
    public sealed class Started : IAsyncLifetime
    {
        public async ValueTask InitializeAsync() => uri = await RabbitMqTestBroker.UriAsync(CancellationToken.None);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

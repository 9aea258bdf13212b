using Messaging.Adapters.Testing;
using Messaging.Adapters.Tests.Brokers;
using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.RabbitMq.Tests.Support;

/// <summary>
/// A broker a fault test may drop, restart and freeze. By default a RabbitMQ container of the test's own, so the faults
/// are container operations (stop and start again, pause and unpause, <c>rabbitmqctl</c> inside it) and disturb no
/// other test. With <c>MESSAGING_RABBITMQ_URI</c>, the existing broker through <c>rabbitmqctl</c>, taken exclusively
/// from the other test processes for the test's duration; freezing it is then not possible.
/// </summary>
internal sealed class FaultBroker : IAsyncDisposable
{
    private readonly MessagingBroker? _container;
    private readonly IDisposable? _exclusive;

    private FaultBroker(Uri uri, MessagingBroker? container, IDisposable? exclusive)
    {
        Uri = uri;
        _container = container;
        _exclusive = exclusive;
    }

    public Uri Uri { get; }

    /// <summary>Whether the broker can be frozen (<see cref="PauseAsync"/>): only a container can.</summary>
    public bool CanPause => _container is not null;

    public static async Task<FaultBroker> StartAsync(CancellationToken cancellationToken)
    {
        if (RabbitMqTestBroker.InContainer)
        {
            var container = await RabbitMqTestBroker.StartOwnAsync(cancellationToken);
            return new FaultBroker(RabbitMqTestBroker.AmqpUri(container), container, exclusive: null);
        }

        var exclusive = await RabbitMqTestBroker.TakeExclusivelyAsync(TimeSpan.FromMinutes(10), cancellationToken);
        return new FaultBroker(await RabbitMqTestBroker.UriAsync(cancellationToken), container: null, exclusive);
    }

    /// <summary>A connected transport on this broker, configured like <see cref="TestBroker.Options"/>.</summary>
    public Task<RabbitMqTransport> ConnectAsync(Action<RabbitMqTransportOptions>? configure = null, ILoggerFactory? loggerFactory = null) =>
        TestBroker.ConnectAsync(
            o =>
            {
                o.Uri = Uri;
                configure?.Invoke(o);
            },
            loggerFactory);

    /// <summary>Runs <c>rabbitmqctl</c> on this broker.</summary>
    public Task<string> RabbitmqctlAsync(params string[] arguments) => _container is not null
        ? _container.ExecAsync(["rabbitmqctl", .. arguments], TestContext.Current.CancellationToken)
        : RabbitMqTestBroker.RabbitmqctlAsync(arguments, TestContext.Current.CancellationToken);

    /// <summary>Closes every client connection, as an operator or a network fault would.</summary>
    public Task CloseAllConnectionsAsync() => RabbitmqctlAsync("close_all_connections", "Messaging.Adapters fault test");

    /// <summary>Restarts the broker: the container stopped and started again on the same port, or, on an existing
    /// broker, its application stopped and started (<c>stop_app</c> / <c>start_app</c>).</summary>
    public async Task RestartAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        if (_container is not null)
        {
            await _container.StopAsync(ct);
            await _container.StartAgainAsync(ct);
            return;
        }

        await RabbitmqctlAsync("stop_app");
        await RabbitmqctlAsync("start_app");
        await RabbitmqctlAsync("await_startup");
    }

    /// <summary>Freezes the broker's processes: connections stay open and nothing answers.</summary>
    public Task PauseAsync() => (_container ?? throw new InvalidOperationException("Only a broker in a container can be paused.")).PauseAsync(TestContext.Current.CancellationToken);

    /// <summary>Lets a frozen broker go on where it stopped.</summary>
    public Task UnpauseAsync() => (_container ?? throw new InvalidOperationException("Only a broker in a container can be paused.")).UnpauseAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }

        _exclusive?.Dispose();
    }
}

using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Messaging.Adapters.Testing.Tests.Containers;

/// <summary>The container operations fault tests are made of: the broker's own tools inside its container, and a
/// frozen broker that keeps connections open while nothing answers.</summary>
public sealed class BrokerFaultOperationTests
{
    [Fact]
    public async Task ExecAsync_runs_the_brokers_tool_in_its_container_and_a_failing_command_throws_with_its_output()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var broker = await MessagingBroker.StartAsync("RabbitMq", cancellationToken: ct);
        var factory = new ConnectionFactory { Uri = new Uri(broker.Settings["Messaging:RabbitMq:Uri"]!), ClientProvidedName = "exec-test" };
        await using var connection = await factory.CreateConnectionAsync(ct);
        var closed = new TaskCompletionSource<ShutdownEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionShutdownAsync += (_, args) =>
        {
            closed.TrySetResult(args);
            return Task.CompletedTask;
        };

        var listed = await broker.ExecAsync(["rabbitmqctl", "list_connections", "client_properties", "--quiet"], ct);
        Assert.Contains("exec-test", listed, StringComparison.Ordinal);
        await broker.ExecAsync(["rabbitmqctl", "close_all_connections", "closed by the test"], ct);
        var shutdown = await closed.Task.WaitAsync(TimeSpan.FromSeconds(15), ct);
        Assert.Contains("closed by the test", shutdown.ReplyText, StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => broker.ExecAsync(["rabbitmqctl", "no_such_command"], ct));
        Assert.Contains("rabbitmqctl no_such_command", error.Message, StringComparison.Ordinal);
        Assert.Contains("exited with", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_paused_broker_answers_nothing_until_it_is_unpaused_and_then_serves_the_same_connection()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var broker = await MessagingBroker.StartAsync("RabbitMq", cancellationToken: ct);
        var factory = new ConnectionFactory { Uri = new Uri(broker.Settings["Messaging:RabbitMq:Uri"]!), RequestedHeartbeat = TimeSpan.FromSeconds(60) };
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);

        await broker.PauseAsync(ct);
        var declare = channel.QueueDeclareAsync("paused-" + Guid.NewGuid().ToString("N")[..8], durable: false, exclusive: true, autoDelete: true, cancellationToken: ct);
        var answeredWhilePaused = await Task.WhenAny(declare, Task.Delay(TimeSpan.FromSeconds(2), ct)) == declare;
        await broker.UnpauseAsync(ct);

        Assert.False(answeredWhilePaused, "A paused broker answered a queue declaration.");
        var declared = await declare.WaitAsync(TimeSpan.FromSeconds(15), ct);
        Assert.StartsWith("paused-", declared.QueueName, StringComparison.Ordinal);
        Assert.True(connection.IsOpen);
    }
}

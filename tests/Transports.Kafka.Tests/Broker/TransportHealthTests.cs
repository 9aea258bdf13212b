using Messaging.Adapters.Kafka.Tests.Support;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Kafka.Tests.Broker;

/// <summary>
/// <see cref="ITransportHealth"/> on Kafka, against a private mock cluster whose brokers the test takes down: the
/// transport is unreachable, naming the bootstrap servers and the clients cut off, while every broker is down, and
/// reachable again once they are up, without a request of its own.
/// </summary>
public sealed class TransportHealthTests(PrivateMockCluster cluster) : IClassFixture<PrivateMockCluster>
{
    private static readonly int[] Brokers = [1, 2, 3];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_transport_is_unreachable_while_every_broker_is_down_and_reachable_once_they_are_up()
    {
        var options = cluster.Options("health-tests");

        // Statistics and reconnects every second instead of librdkafka's 5 s and 10 s: the recovery shows sooner.
        options.ConfigureProducer = config =>
        {
            config.StatisticsIntervalMs = 1000;
            config.ReconnectBackoffMaxMs = 1000;
        };
        options.ConfigureConsumer = config =>
        {
            config.StatisticsIntervalMs = 1000;
            config.ReconnectBackoffMaxMs = 1000;
        };
        await using var transport = new KafkaTransport(options);
        var queue = $"health-{Guid.NewGuid():N}"[..24];
        await cluster.CreateTopicAsync(queue, partitions: 2);
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await transport.Queue.ConsumeAsync(queue, (_, _) =>
        {
            handled.TrySetResult();
            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);
        await transport.Queue.SendAsync(queue, new Envelope("tests.health", new byte[] { 1 }), Ct);
        await handled.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var before = transport.CurrentHealth;
        Assert.True(before.IsReachable, before.Description);

        foreach (var broker in Brokers)
        {
            await cluster.BrokerDownAsync(broker);
        }

        var down = await WaitForAsync(transport, h => !h.IsReachable && h.Description.Contains("producer", StringComparison.Ordinal) && h.Description.Contains("group " + queue, StringComparison.Ordinal));
        Assert.Contains(cluster.Bootstrap, down.Description, StringComparison.Ordinal);

        foreach (var broker in Brokers)
        {
            await cluster.BrokerUpAsync(broker);
        }

        // Traffic through both clients, as an application has: librdkafka reconnects only the brokers a client uses, so
        // an idle client's brokers stay idle (INIT) after they come back and its statistics cannot show the recovery.
        var handledAfter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        handled = handledAfter;
        await transport.Queue.SendAsync(queue, new Envelope("tests.health", new byte[] { 2 }), Ct);
        await handledAfter.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var up = await WaitForAsync(transport, h => h.IsReachable);
        Assert.Contains(cluster.Bootstrap, up.Description, StringComparison.Ordinal);
    }

    /// <summary>Reads the health as a health check would, every 100 ms, until it satisfies the condition (30 s at most).</summary>
    private static async Task<TransportHealth> WaitForAsync(KafkaTransport transport, Func<TransportHealth, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var health = transport.CurrentHealth;
        while (!condition(health))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The health did not change as expected within 30 s; it says: {health.Description}");
            await Task.Delay(100, Ct);
            health = transport.CurrentHealth;
        }

        return health;
    }
}

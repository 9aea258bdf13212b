using Messaging.Adapters.RabbitMq.Tests.Support;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// The transport's reachability for the health check: reachable once connected, unreachable while its connection
/// is closed by the broker and recovering, reachable again after the recovery.
/// </summary>
public sealed class TransportHealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_transport_is_unreachable_while_its_publishing_connection_recovers_and_reachable_again_after()
    {
        var client = TestBroker.UniqueName("health");
        await using var transport = await TestBroker.ConnectAsync(o =>
        {
            o.ClientName = client;
            o.RecoveryInterval = TimeSpan.FromSeconds(2);
        });
        var queue = TestBroker.UniqueName("health");
        try
        {
            await transport.Queue.SendAsync(queue, new Envelope("tests.health", new byte[] { 1 }), Ct);
            var health = transport;
            Assert.True(health.CurrentHealth.IsReachable, health.CurrentHealth.Description);
            Assert.DoesNotContain(TestBroker.Credentials, health.CurrentHealth.Description, StringComparison.Ordinal);

            // Closed by the broker, as an operator or a failover would: the client recovers it after RecoveryInterval.
            var connections = await TestBroker.RabbitmqctlAsync("list_connections", "pid", "client_properties", "--quiet", "--no-table-headers");
            var pid = connections.Split('\n').Single(l => l.Contains($"\"{client} (publishing)\"", StringComparison.Ordinal)).Split('\t')[0].Trim();
            await TestBroker.RabbitmqctlAsync("close_connection", pid, "tests: health");

            await WaitUntilAsync(() => !health.CurrentHealth.IsReachable, "the transport to report its connection down");
            Assert.Contains("publishing", health.CurrentHealth.Description, StringComparison.Ordinal);
            await WaitUntilAsync(() => health.CurrentHealth.IsReachable, "the transport to report its connection recovered");
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(20, Ct);
        }
    }
}

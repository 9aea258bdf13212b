namespace Messaging.Adapters.Testing.Tests.Containers;

/// <summary>
/// A broker restart as a container operation (stop, start again): the broker keeps its port on this machine, so a
/// running service reconnects by itself, and every message published before and after is handled once.
/// </summary>
public sealed class BrokerRestartTests
{
    [Fact]
    public async Task A_service_keeps_handling_after_its_RabbitMq_container_is_stopped_and_started_again()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var broker = await MessagingBroker.StartAsync("RabbitMq", cancellationToken: ct);
        var port = new Uri(broker.Settings["Messaging:RabbitMq:Uri"]!).Port;
        await using var service = await OrdersService.StartAsync(
            broker.Configuration, ct, ("Messaging:RabbitMq:RecoveryInterval", "00:00:01"));
        var published = new Dictionary<string, string>();

        await service.PublishAsync(0, 10, published, ct);
        await service.Handled.WaitForAsync(10, TimeSpan.FromSeconds(30), ct);
        await broker.StopAsync(ct);
        await broker.StartAgainAsync(ct);
        Assert.Equal(port, await EngineContainers.HostPortAsync(broker.ContainerId, 5672, ct));
        await service.PublishAsync(10, 10, published, ct);
        await service.Handled.WaitForAsync(20, TimeSpan.FromSeconds(60), ct);
        await Task.Delay(TimeSpan.FromSeconds(1), ct); // a duplicate would arrive within this second
        await service.StopAsync(ct);

        Assert.Equal(published.OrderBy(p => p.Key), service.Handled.Snapshot().OrderBy(p => p.Key));
        Assert.Equal(published.Count, service.Handled.Count);
    }
}

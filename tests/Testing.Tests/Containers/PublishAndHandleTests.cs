using Messaging.Adapters.Testing.Xunit;

namespace Messaging.Adapters.Testing.Tests.Containers;

/// <summary>
/// A user's test: the broker comes from the package's fixture (the transport from MESSAGING_TESTING_TRANSPORT, RabbitMQ
/// by default), the service is a host built with AddMessaging from the fixture's configuration.
/// </summary>
public sealed class PublishAndHandleTests(MessagingBrokerFixture broker) : IClassFixture<MessagingBrokerFixture>
{
    [Fact]
    public async Task A_host_configured_from_the_broker_handles_every_published_message_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var service = await OrdersService.StartAsync(broker.Configuration, ct);
        var published = new Dictionary<string, string>();

        await service.PublishAsync(0, 20, published, ct);
        await service.Handled.WaitForAsync(published.Count, TimeSpan.FromSeconds(30), ct);
        await Task.Delay(TimeSpan.FromSeconds(1), ct); // a duplicate would arrive within this second
        await service.StopAsync(ct);

        Assert.Equal(published.OrderBy(p => p.Key), service.Handled.Snapshot().OrderBy(p => p.Key));
        Assert.Equal(published.Count, service.Handled.Count);
    }
}

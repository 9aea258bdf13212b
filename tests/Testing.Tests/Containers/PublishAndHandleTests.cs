using Microsoft.Extensions.Configuration;
using Messaging.Adapters.Testing.Xunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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
        var topic = $"testing.orders.{Guid.NewGuid():N}";
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddConfiguration(broker.Configuration);
        builder.Services.AddMessaging(builder.Configuration);
        builder.Services.AddSingleton<HandledOrders>();
        builder.Services.AddSubscription<OrderPlaced, RecordOrder>(topic, "billing");
        using var host = builder.Build();
        await host.StartAsync(ct);

        var publisher = host.Services.GetRequiredService<IPublisher>();
        var codec = host.Services.GetRequiredService<MessageCodec>();
        var published = new Dictionary<string, string>();
        for (var i = 0; i < 20; i++)
        {
            var envelope = await publisher.PublishAsync(topic, new OrderPlaced($"order-{i}"), codec, cancellationToken: ct);
            published.Add(envelope.Id, $"order-{i}");
        }

        var handled = host.Services.GetRequiredService<HandledOrders>();
        await handled.WaitForAsync(published.Count, TimeSpan.FromSeconds(30), ct);
        await Task.Delay(TimeSpan.FromSeconds(1), ct); // a duplicate would arrive within this second
        await host.StopAsync(ct);

        Assert.Equal(published.OrderBy(p => p.Key), handled.Snapshot().OrderBy(p => p.Key));
        Assert.Equal(published.Count, handled.Count);
    }
}

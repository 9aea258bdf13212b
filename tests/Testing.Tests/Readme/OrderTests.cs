using System.Collections.Concurrent;
using Messaging.Adapters;
using Messaging.Adapters.Testing.Xunit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Shop.Tests;

[MessageType("shop.order-placed")]
public sealed record OrderPlaced(string OrderId);

/// <summary>The service's handler under test: bills an order.</summary>
public sealed class BillOrder(Billed billed) : IMessageHandler<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced message, ReceivedMessage context, CancellationToken cancellationToken)
    {
        billed.Add(context.Envelope.Id);
        return ValueTask.CompletedTask;
    }
}

/// <summary>What was billed, by message id.</summary>
public sealed class Billed
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _ids = new();

    public void Add(string id) => _ids.GetOrAdd(id, _ => new()).TrySetResult();

    public Task WaitForAsync(string id, CancellationToken ct) => _ids.GetOrAdd(id, _ => new()).Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
}

public sealed class OrderTests(MessagingBrokerFixture broker) : IClassFixture<MessagingBrokerFixture>
{
    [Fact]
    public async Task Placed_orders_are_billed()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"orders.{Guid.NewGuid():N}";                     // unique per run
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddConfiguration(broker.Configuration);  // Messaging:Transport + the broker's address
        builder.Services.AddMessaging(builder.Configuration);
        builder.Services.AddSingleton<Billed>();
        builder.Services.AddSubscription<OrderPlaced, BillOrder>(topic, "billing");
        using var host = builder.Build();
        await host.StartAsync(ct);

        var publisher = host.Services.GetRequiredService<IPublisher>();
        var codec = host.Services.GetRequiredService<MessageCodec>();
        var sent = await publisher.PublishAsync(topic, new OrderPlaced("1001"), codec, cancellationToken: ct);

        await host.Services.GetRequiredService<Billed>().WaitForAsync(sent.Id, ct);
        await host.StopAsync(ct);
    }
}

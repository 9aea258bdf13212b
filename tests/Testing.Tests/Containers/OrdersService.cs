using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Adapters.Testing.Tests.Containers;

/// <summary>
/// The service under test, as a user builds it: a host with AddMessaging from the broker's configuration (plus any
/// settings of the test's own) and one subscription that records each order it handles.
/// </summary>
internal sealed class OrdersService : IAsyncDisposable
{
    private readonly IHost host;

    private OrdersService(IHost host, string topic)
    {
        this.host = host;
        Topic = topic;
    }

    public string Topic { get; }

    public HandledOrders Handled => host.Services.GetRequiredService<HandledOrders>();

    public static async Task<OrdersService> StartAsync(
        IConfiguration brokerConfiguration, CancellationToken ct, params (string Key, string Value)[] settings)
    {
        var topic = $"testing.orders.{Guid.NewGuid():N}";
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddConfiguration(brokerConfiguration);
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }

        builder.Services.AddMessaging(builder.Configuration);
        builder.Services.AddSingleton<HandledOrders>();
        builder.Services.AddSubscription<OrderPlaced, RecordOrder>(topic, "billing");
        var host = builder.Build();
        await host.StartAsync(ct);
        return new OrdersService(host, topic);
    }

    /// <summary>Publishes orders <paramref name="from"/>.. and adds each message's id and order id to <paramref name="published"/>.</summary>
    public async Task PublishAsync(int from, int count, Dictionary<string, string> published, CancellationToken ct)
    {
        var publisher = host.Services.GetRequiredService<IPublisher>();
        var codec = host.Services.GetRequiredService<MessageCodec>();
        for (var i = from; i < from + count; i++)
        {
            var envelope = await publisher.PublishAsync(Topic, new OrderPlaced($"order-{i}"), codec, cancellationToken: ct);
            published.Add(envelope.Id, $"order-{i}");
        }
    }

    public Task StopAsync(CancellationToken ct) => host.StopAsync(ct);

    public ValueTask DisposeAsync()
    {
        host.Dispose();
        return ValueTask.CompletedTask;
    }
}

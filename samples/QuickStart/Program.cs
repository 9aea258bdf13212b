using Messaging.Adapters;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddHostedService<PlaceAnOrder>();                // the application's own work
builder.Services.AddMessaging(builder.Configuration);            // Messaging:Transport picks the broker
builder.Services.AddSubscription<OrderPlaced, SendConfirmationEmail>("orders", "email");
await builder.Build().RunAsync();

[MessageType("order.placed")]
sealed record OrderPlaced(string OrderId, decimal Total);

// Publishes as the application starts: the subscription already exists, whatever the order of registration.
sealed class PlaceAnOrder(IPublisher publisher, MessageCodec codec) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken) =>
        await publisher.PublishAsync("orders", new OrderPlaced("1001", 25m), codec, key: "1001", cancellationToken: stoppingToken);
}

// Receives only OrderPlaced, even if the "orders" topic carries other types too.
sealed class SendConfirmationEmail(IHostApplicationLifetime application) : IMessageHandler<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced order, ReceivedMessage context, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Order {order.OrderId} ({order.Total:0.00}) placed: sending the confirmation e-mail.");
        application.StopApplication();                            // a sample stops here; a worker keeps running
        return ValueTask.CompletedTask;
    }
}

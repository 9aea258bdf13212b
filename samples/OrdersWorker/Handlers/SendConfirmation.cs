using Messaging.Adapters;

namespace OrdersWorker.Handlers;

/// <summary>The email subscription's only handler: it never sees the topic's OrderShipped events.</summary>
public sealed class SendConfirmation(Journal journal) : IMessageHandler<OrderPlaced>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(OrderPlaced order, ReceivedMessage context, CancellationToken cancellationToken)
    {
        journal.Add("email: confirmation sent", order.OrderId);
        return ValueTask.CompletedTask;
    }
}

using Messaging.Adapters;

namespace OrdersWorker.Handlers;

/// <summary>The tracking subscription's handler of OrderPlaced.</summary>
public sealed class TrackPlacedOrder(Journal journal) : IMessageHandler<OrderPlaced>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(OrderPlaced order, ReceivedMessage context, CancellationToken cancellationToken)
    {
        journal.Add("tracking: placed", order.OrderId);
        return ValueTask.CompletedTask;
    }
}

/// <summary>The tracking subscription's handler of OrderShipped.</summary>
public sealed class TrackShippedOrder(Journal journal) : IMessageHandler<OrderShipped>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(OrderShipped order, ReceivedMessage context, CancellationToken cancellationToken)
    {
        journal.Add("tracking: shipped", order.OrderId);
        return ValueTask.CompletedTask;
    }
}

using Messaging.Adapters;

namespace OrdersWorker.Handlers;

/// <summary>Reserves stock. The warehouse times out on an order's first two attempts; a product the catalog does
/// not know fails every attempt, so its command ends in the dead-letter queue.</summary>
public sealed class ReserveStockHandler(Journal journal, Catalog catalog) : IMessageHandler<ReserveStock>
{
    /// <summary>The order whose reservation the warehouse is slow to answer.</summary>
    public const string SlowOrder = "1001";

    /// <inheritdoc />
    public ValueTask HandleAsync(ReserveStock command, ReceivedMessage context, CancellationToken cancellationToken)
    {
        journal.Add("stock: attempt", $"{command.Sku} #{context.Attempt}");
        if (command.OrderId == SlowOrder && context.Attempt < 3)
        {
            throw new TimeoutException("The warehouse did not answer in time.");
        }

        if (!catalog.Knows(command.Sku))
        {
            throw new InvalidOperationException($"The catalog has no product {command.Sku}.");
        }

        journal.Add("stock: reserved", $"{command.Sku} (message {context.Envelope.Id})");
        return ValueTask.CompletedTask;
    }
}

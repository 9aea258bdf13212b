using Messaging.Adapters;
using OrderWorkflow.Story;

namespace OrderWorkflow.Services;

/// <summary>
/// Ships an order once its stock is reserved (<c>inventory.reserved</c>, orders topic) and it is paid
/// (<c>payment.succeeded</c>, payments topic), then publishes <c>order.shipped</c>.
/// </summary>
/// <remarks>The two events come through two subscriptions and may arrive in either order, so the service keeps
/// what it has seen per order and ships when both are there, once.</remarks>
internal sealed class ShippingService(
    MessageCodec codec,
    IIdempotencyStore inbox,
    OrderEvents events,
    WorkflowNames names,
    Narrator narrator,
    Milestones milestones)
{
    private const string Who = WorkflowNames.Shipping;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, PendingShipment> _pending = new(StringComparer.Ordinal);

    /// <summary>The handler of the shipping subscription of the orders topic (inventory.reserved only).</summary>
    public MessageHandler CreateReservationHandler() =>
        Inbox.Protect(codec.Handler<InventoryReserved>(OnReservedAsync), inbox, Who, narrator, milestones);

    /// <summary>The handler of the shipping subscription of the payments topic (payment.succeeded only).</summary>
    public MessageHandler CreatePaymentHandler() =>
        Inbox.Protect(codec.Handler<PaymentSucceeded>(OnPaidAsync), inbox, Who, narrator, milestones);

    private ValueTask OnReservedAsync(InventoryReserved reserved, ReceivedMessage message, CancellationToken cancellationToken) =>
        RecordAsync(reserved.OrderId, message.Envelope, p => p with { Lines = reserved.Lines }, "stock reserved", "waiting for payment", cancellationToken);

    private ValueTask OnPaidAsync(PaymentSucceeded paid, ReceivedMessage message, CancellationToken cancellationToken) =>
        RecordAsync(paid.OrderId, message.Envelope, p => p with { Paid = true }, "payment received", "waiting for stock", cancellationToken);

    private async ValueTask RecordAsync(string orderId, Envelope cause, Func<PendingShipment, PendingShipment> update, string fact, string stillWaiting, CancellationToken cancellationToken)
    {
        PendingShipment now;
        bool shipNow;
        lock (_gate)
        {
            var before = _pending.GetValueOrDefault(orderId) ?? new PendingShipment(null, Paid: false, Shipped: false);
            if (before.Shipped)
            {
                // A repeated event for an order already shipped (its publisher retried after a crash): nothing to do.
                return;
            }

            now = update(before);
            shipNow = now is { Lines: not null, Paid: true, Shipped: false };
            _pending[orderId] = shipNow ? now with { Shipped = true } : now;
        }

        if (!shipNow)
        {
            narrator.Say(Who, $"order {orderId}: {fact}, {stillWaiting}");
            return;
        }

        var parcel = $"PARCEL-{orderId}";
        narrator.Say(Who, $"order {orderId}: {fact} -> shipped {Describe.Lines(now.Lines!)} as {parcel}");
        milestones.Mark($"shipped:{orderId}");
        await events.PublishAsync(names.OrdersTopic, new OrderShipped(orderId, parcel, now.Lines!), orderId, cause, cancellationToken).ConfigureAwait(false);
    }

    private sealed record PendingShipment(IReadOnlyList<OrderLine>? Lines, bool Paid, bool Shipped);
}

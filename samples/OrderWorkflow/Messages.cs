using Messaging.Adapters;

namespace OrderWorkflow;

// The messages of the story. Each has a stable wire name ([MessageType]) so the classes can be renamed or moved
// without breaking consumers; MessageCodec serializes them as JSON.

/// <summary>One line of an order.</summary>
internal sealed record OrderLine(string Sku, int Quantity)
{
    public override string ToString() => $"{Quantity} x {Sku}";
}

// ---- events (published to topics and appended to the order-events stream) ----

[MessageType(TypeName)]
internal sealed record OrderPlaced(string OrderId, string Customer, IReadOnlyList<OrderLine> Lines, decimal Total, string CardLast4)
{
    public const string TypeName = "order.placed";
}

[MessageType(TypeName)]
internal sealed record InventoryReserved(string OrderId, IReadOnlyList<OrderLine> Lines)
{
    public const string TypeName = "inventory.reserved";
}

[MessageType(TypeName)]
internal sealed record InventoryReleased(string OrderId, IReadOnlyList<OrderLine> Lines)
{
    public const string TypeName = "inventory.released";
}

[MessageType(TypeName)]
internal sealed record PaymentSucceeded(string OrderId, decimal Amount, string CardLast4)
{
    public const string TypeName = "payment.succeeded";
}

[MessageType(TypeName)]
internal sealed record PaymentDeclined(string OrderId, decimal Amount, string Reason)
{
    public const string TypeName = "payment.declined";
}

[MessageType(TypeName)]
internal sealed record OrderShipped(string OrderId, string Parcel, IReadOnlyList<OrderLine> Lines)
{
    public const string TypeName = "order.shipped";
}

[MessageType(TypeName)]
internal sealed record OrderCancelled(string OrderId, string Customer, string Reason)
{
    public const string TypeName = "order.cancelled";
}

[MessageType(TypeName)]
internal sealed record OrderDelivered(string OrderId, string Parcel)
{
    public const string TypeName = "order.delivered";
}

// ---- requests and replies of the orchestrated saga (sent to queues with RequestClient) ----

[MessageType(TypeName)]
internal sealed record ReserveInventory(string OrderId, IReadOnlyList<OrderLine> Lines)
{
    public const string TypeName = "inventory.reserve";
}

[MessageType(TypeName)]
internal sealed record ReleaseInventory(string OrderId)
{
    public const string TypeName = "inventory.release";
}

[MessageType(TypeName)]
internal sealed record InventoryReservation(string OrderId, bool Reserved, string? Reason)
{
    public const string TypeName = "inventory.reservation";
}

[MessageType(TypeName)]
internal sealed record ChargePayment(string OrderId, decimal Amount, string CardLast4)
{
    public const string TypeName = "payment.charge";
}

[MessageType(TypeName)]
internal sealed record PaymentResult(string OrderId, bool Succeeded, string? Reason)
{
    public const string TypeName = "payment.result";
}

// ---- jobs (sent to a work queue that several workers share) ----

[MessageType(TypeName)]
internal sealed record SettlePayment(int Job, string OrderId, decimal Amount)
{
    public const string TypeName = "payment.settle";
}

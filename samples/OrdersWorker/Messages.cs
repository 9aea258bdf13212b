using Messaging.Adapters;

namespace OrdersWorker;

/// <summary>An event on the orders topic.</summary>
[MessageType("order.placed")]
public sealed record OrderPlaced(string OrderId, decimal Total);

/// <summary>Another event on the same topic.</summary>
[MessageType("order.shipped")]
public sealed record OrderShipped(string OrderId, string Carrier);

/// <summary>A command to the payments queue.</summary>
[MessageType("payment.charge-card")]
public sealed record ChargeCard(string PaymentId, decimal Amount);

/// <summary>A command to the stock queue; the warehouse is slow at times, and a new product is not in the catalog yet.</summary>
[MessageType("stock.reserve")]
public sealed record ReserveStock(string OrderId, string Sku);

/// <summary>A request to the prices queue.</summary>
[MessageType("price.request")]
public sealed record PriceRequest(string Sku);

/// <summary>The reply to a <see cref="PriceRequest"/>.</summary>
[MessageType("price.quote")]
public sealed record PriceQuote(string Sku, decimal Price);

/// <summary>A command to the invoices queue, whose consumer is idempotent.</summary>
[MessageType("invoice.issue")]
public sealed record IssueInvoice(string OrderId);

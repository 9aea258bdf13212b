using Messaging.Adapters;

namespace OrdersWorker.Handlers;

/// <summary>Answers price requests.</summary>
public sealed class PriceList : IRequestHandler<PriceRequest, PriceQuote>
{
    /// <summary>The prices, by SKU.</summary>
    public static readonly IReadOnlyDictionary<string, decimal> Prices = new Dictionary<string, decimal> { ["A-1"] = 12.50m, ["B-2"] = 7.25m };

    /// <inheritdoc />
    public ValueTask<PriceQuote> HandleAsync(PriceRequest request, ReceivedMessage context, CancellationToken cancellationToken) =>
        Prices.TryGetValue(request.Sku, out var price)
            ? ValueTask.FromResult(new PriceQuote(request.Sku, price))
            : throw new DeadLetterException($"No price for {request.Sku}.");
}

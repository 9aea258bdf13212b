using System.Collections.Concurrent;
using Messaging.Adapters;
using OrderWorkflow.Story;

namespace OrderWorkflow.Services;

/// <summary>
/// The web shop: takes orders and publishes <c>order.placed</c>; everything after that is up to the services.
/// </summary>
internal sealed class Shop(OrderEvents events, IPublisher publisher, WorkflowNames names, Narrator narrator)
{
    private readonly ConcurrentDictionary<string, Envelope> _placed = new(StringComparer.Ordinal);

    public async Task<Envelope> PlaceAsync(OrderPlaced order, CancellationToken cancellationToken)
    {
        narrator.Say("shop", $"order {order.OrderId} placed by {order.Customer}: {Describe.Lines(order.Lines)}, {Describe.Money(order.Total)}, card *{order.CardLast4} -> publish {OrderPlaced.TypeName}");
        var envelope = await events.PublishAsync(names.OrdersTopic, order, order.OrderId, causedBy: null, cancellationToken).ConfigureAwait(false);
        _placed[order.OrderId] = envelope;
        return envelope;
    }

    /// <summary>Publishes an order's <c>order.placed</c> envelope again, unchanged (same id): what a publisher does
    /// when its first publish ended with an unknown outcome (a timeout, a lost confirm).</summary>
    public async Task<Envelope> PublishAgainAsync(string orderId, CancellationToken cancellationToken)
    {
        var envelope = _placed.TryGetValue(orderId, out var placed)
            ? placed
            : throw new InvalidOperationException($"Order {orderId} was never placed, so there is nothing to publish again.");
        await publisher.PublishAsync(names.OrdersTopic, envelope, cancellationToken).ConfigureAwait(false);
        return envelope;
    }
}

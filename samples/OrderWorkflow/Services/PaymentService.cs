using Messaging.Adapters;
using OrderWorkflow.Story;

namespace OrderWorkflow.Services;

/// <summary>
/// Charges cards. Reacts to <c>order.placed</c> and publishes <c>payment.succeeded</c> or <c>payment.declined</c>
/// (choreography), and answers charge requests from the saga orchestrator (request/reply).
/// </summary>
/// <remarks>A card ending in 0002 is declined, like the test cards of real payment providers.</remarks>
internal sealed class PaymentService(
    MessageCodec codec,
    IIdempotencyStore inbox,
    IQueue queue,
    OrderEvents events,
    WorkflowNames names,
    Narrator narrator,
    Milestones milestones)
{
    public const string DeclinedCard = "0002";

    private const string Who = WorkflowNames.Payment;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, decimal> _charged = new(StringComparer.Ordinal);

    public bool HasCharged(string orderId)
    {
        lock (_gate)
        {
            return _charged.ContainsKey(orderId);
        }
    }

    /// <summary>The handler of the payment subscription of the orders topic.</summary>
    public MessageHandler CreateOrderPlacedHandler() =>
        Inbox.Protect(codec.Handler<OrderPlaced>(OnOrderPlacedAsync), inbox, Who, narrator, milestones);

    /// <summary>The handler of the payment request queue: answers charge requests.</summary>
    public MessageHandler CreateRequestHandler() => async (request, cancellationToken) =>
    {
        var charge = codec.Decode<ChargePayment>(request.Envelope);
        var declined = TryCharge(charge.OrderId, charge.Amount, charge.CardLast4);
        await queue.ReplyAsync(request, codec.Encode(new PaymentResult(charge.OrderId, declined is null, declined)), cancellationToken).ConfigureAwait(false);
    };

    private async ValueTask OnOrderPlacedAsync(OrderPlaced order, ReceivedMessage message, CancellationToken cancellationToken)
    {
        if (TryCharge(order.OrderId, order.Total, order.CardLast4) is { } reason)
        {
            await events.PublishAsync(names.PaymentsTopic, new PaymentDeclined(order.OrderId, order.Total, reason), order.OrderId, message.Envelope, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Published again when the order was already charged: if an earlier attempt charged and then crashed
        // before publishing, this is how shipping still hears of it (shipping ignores a repeat).
        await events.PublishAsync(names.PaymentsTopic, new PaymentSucceeded(order.OrderId, order.Total, order.CardLast4), order.OrderId, message.Envelope, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Charges the card; returns why it was declined, or <see langword="null"/> when it was charged.</summary>
    private string? TryCharge(string orderId, decimal amount, string cardLast4)
    {
        if (cardLast4 == DeclinedCard)
        {
            narrator.Say(Who, $"card *{cardLast4} declined for order {orderId} ({Describe.Money(amount)})");
            milestones.Mark($"declined:{orderId}");
            return "card declined";
        }

        lock (_gate)
        {
            // One charge per order, whatever arrives twice: the provider call would carry the order id as its
            // idempotency key for the same reason.
            if (!_charged.TryAdd(orderId, amount))
            {
                return null;
            }
        }

        narrator.Say(Who, $"charged {Describe.Money(amount)} to card *{cardLast4} for order {orderId}");
        milestones.Mark($"charged:{orderId}");
        return null;
    }
}

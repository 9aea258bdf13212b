using Messaging.Adapters;
using OrderWorkflow.Story;

namespace OrderWorkflow.Services;

/// <summary>
/// Runs an order as a saga driven from one place: it asks inventory to reserve, asks payment to charge, and when a
/// step fails it undoes the steps before it (compensation). Each ask is a request/reply over queues.
/// </summary>
/// <remarks>Unlike the choreography, nobody reacts to the saga's intermediate events: they are only appended to
/// the order-events stream for the record; the final <c>order.cancelled</c> is published so email can tell the customer.</remarks>
internal sealed class OrderOrchestrator(MessageCodec codec, OrderEvents events, WorkflowNames names, Narrator narrator)
{
    private const string Who = "orchestrator";
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);

    public async Task<SagaOutcome> RunAsync(RequestClient requests, OrderPlaced order, CancellationToken cancellationToken)
    {
        var id = order.OrderId;
        narrator.Say(Who, $"order {id} placed by {order.Customer}: {Describe.Lines(order.Lines)}, {Describe.Money(order.Total)}, card *{order.CardLast4}");
        var placed = events.Create(order, id, causedBy: null);
        await events.AppendAsync(placed, cancellationToken).ConfigureAwait(false);

        narrator.Say(Who, $"order {id} step 1/2: reserve inventory -> request on {names.InventoryRequestsQueue}");
        var reservation = await RequestAsync<ReserveInventory, InventoryReservation>(requests, names.InventoryRequestsQueue, new ReserveInventory(id, order.Lines), id, cancellationToken).ConfigureAwait(false);
        if (!reservation.Reserved)
        {
            var reason = $"out of stock ({reservation.Reason})";
            narrator.Say(Who, $"order {id} step 1/2 failed: {reason}; nothing to undo");
            await CancelAsync(order, reason, placed, cancellationToken).ConfigureAwait(false);
            return new SagaOutcome(Completed: false, reason);
        }

        narrator.Say(Who, $"order {id} step 1/2 done: inventory reserved");
        await events.AppendAsync(events.Create(new InventoryReserved(id, order.Lines), id, placed), cancellationToken).ConfigureAwait(false);

        narrator.Say(Who, $"order {id} step 2/2: charge {Describe.Money(order.Total)} -> request on {names.PaymentRequestsQueue}");
        var payment = await RequestAsync<ChargePayment, PaymentResult>(requests, names.PaymentRequestsQueue, new ChargePayment(id, order.Total, order.CardLast4), id, cancellationToken).ConfigureAwait(false);
        if (payment.Succeeded)
        {
            narrator.Say(Who, $"order {id} step 2/2 done: paid; saga complete");
            await events.AppendAsync(events.Create(new PaymentSucceeded(id, order.Total, order.CardLast4), id, placed), cancellationToken).ConfigureAwait(false);
            return new SagaOutcome(Completed: true, Reason: null);
        }

        var declined = payment.Reason ?? "payment failed";
        narrator.Say(Who, $"order {id} step 2/2 failed: {declined} -> compensate step 1");
        await events.AppendAsync(events.Create(new PaymentDeclined(id, order.Total, declined), id, placed), cancellationToken).ConfigureAwait(false);

        narrator.Say(Who, $"order {id} compensation: release inventory -> request on {names.InventoryRequestsQueue}");
        var released = await RequestAsync<ReleaseInventory, InventoryReleased>(requests, names.InventoryRequestsQueue, new ReleaseInventory(id), id, cancellationToken).ConfigureAwait(false);
        narrator.Say(Who, $"order {id} compensation done: released {Describe.Lines(released.Lines)}");
        await events.AppendAsync(events.Create(released, id, placed), cancellationToken).ConfigureAwait(false);

        await CancelAsync(order, declined, placed, cancellationToken).ConfigureAwait(false);
        return new SagaOutcome(Completed: false, declined);
    }

    private async Task CancelAsync(OrderPlaced order, string reason, Envelope placed, CancellationToken cancellationToken)
    {
        await events.PublishAsync(names.OrdersTopic, new OrderCancelled(order.OrderId, order.Customer, reason), order.OrderId, placed, cancellationToken).ConfigureAwait(false);
        narrator.Say(Who, $"order {order.OrderId} cancelled ({reason}) -> published {OrderCancelled.TypeName}");
    }

    private async Task<TReply> RequestAsync<TRequest, TReply>(RequestClient requests, string queue, TRequest request, string orderId, CancellationToken cancellationToken)
        where TRequest : notnull
    {
        var reply = await requests.RequestAsync(queue, codec.Encode(request) with { Key = orderId }, ReplyTimeout, cancellationToken).ConfigureAwait(false);
        return codec.Decode<TReply>(reply.Envelope);
    }
}

/// <summary>How a saga ended: completed, or cancelled (after compensation) with the reason.</summary>
internal sealed record SagaOutcome(bool Completed, string? Reason);

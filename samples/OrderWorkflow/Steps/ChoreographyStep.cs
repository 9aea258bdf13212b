using Messaging.Adapters;
using OrderWorkflow.Services;
using OrderWorkflow.Story;

namespace OrderWorkflow.Steps;

/// <summary>
/// Step 1: nobody is in charge. The shop publishes <c>order.placed</c>; inventory, payment and email react through
/// their own subscriptions of the orders topic; shipping ships once it has seen <c>inventory.reserved</c> and
/// <c>payment.succeeded</c>; email then sends the shipping notice.
/// </summary>
internal sealed class ChoreographyStep(Shop shop, Milestones milestones, Checklist checks, Narrator narrator, TraceRecorder traces) : IWorkflowStep
{
    public string Title => "Choreography: services react to order.placed through their own subscriptions";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        narrator.Line("subscriptions of the orders topic: inventory, payment, email (order.placed) and shipping (inventory.reserved);");
        narrator.Line("shipping also subscribes to payment.succeeded on the payments topic. Lines of services that react to the");
        narrator.Line("same event at the same time may come in any order.");
        narrator.Line("");
        var first = await PlaceAndFollowAsync(new OrderPlaced("1001", "ada@example.com", [new OrderLine("SKU-1", 2)], 25.00m, "4242"), cancellationToken).ConfigureAwait(false);
        narrator.Line("");
        await ShowTraceAsync(first, cancellationToken).ConfigureAwait(false);
        narrator.Line("");
        await PlaceAndFollowAsync(new OrderPlaced("1002", "grace@example.com", [new OrderLine("SKU-2", 1), new OrderLine("SKU-3", 1)], 64.50m, "4444"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Order 1001's trace: one trace from the shop's publish through every service, whichever broker carried
    /// it, because each message carries its producer's trace context (<c>traceparent</c>).</summary>
    private async Task ShowTraceAsync(Envelope placed, CancellationToken cancellationToken)
    {
        string[] services = [WorkflowNames.Inventory, WorkflowNames.Payment, WorkflowNames.Shipping, WorkflowNames.Email];
        var trace = await traces.TraceOfAsync(placed.Id, services, cancellationToken).ConfigureAwait(false);
        TraceRecorder.Print(trace, narrator);
        var missing = services.Where(service => !trace.Any(span => TraceRecorder.Group(span) == service)).ToList();
        checks.Verify(missing.Count == 0, "order 1001's trace runs from the shop's publish through inventory, payment, shipping and email", missing.Count == 0 ? null : $"no span of {string.Join(", ", missing)}");
    }

    private async Task<Envelope> PlaceAndFollowAsync(OrderPlaced order, CancellationToken cancellationToken)
    {
        var id = order.OrderId;
        var placed = await shop.PlaceAsync(order, cancellationToken).ConfigureAwait(false);

        var reserved = milestones[$"reserved:{id}"];
        var charged = milestones[$"charged:{id}"];
        var shipped = milestones[$"shipped:{id}"];
        await checks.WaitForAsync(reserved, $"inventory reserved the stock of order {id}", cancellationToken).ConfigureAwait(false);
        await checks.WaitForAsync(charged, $"payment charged order {id}", cancellationToken).ConfigureAwait(false);
        await checks.WaitForAsync(milestones[$"email:order.placed:{id}"], $"email confirmed order {id}", cancellationToken).ConfigureAwait(false);
        if (await checks.WaitForAsync(shipped, $"shipping shipped order {id}", cancellationToken).ConfigureAwait(false))
        {
            checks.Verify(
                shipped.FirstSequence > charged.FirstSequence && shipped.FirstSequence > reserved.FirstSequence,
                $"order {id} was shipped only after it was paid and reserved");
        }

        // Waiting for the last email keeps each order's lines together before the next order starts.
        await checks.WaitForAsync(milestones[$"email:order.shipped:{id}"], $"email sent the shipping notice of order {id}", cancellationToken).ConfigureAwait(false);
        return placed;
    }
}

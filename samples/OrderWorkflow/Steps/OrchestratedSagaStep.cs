using Messaging.Adapters;
using OrderWorkflow.Services;
using OrderWorkflow.Story;

namespace OrderWorkflow.Steps;

/// <summary>
/// Step 3: an orchestrator runs order 1003 through reserve inventory, then charge payment; the card is declined,
/// so it compensates by releasing the inventory. Every call is a request/reply over queues.
/// </summary>
internal sealed class OrchestratedSagaStep(
    ITransport transport,
    OrderOrchestrator orchestrator,
    InventoryService inventory,
    PaymentService payment,
    WorkflowNames names,
    Milestones milestones,
    Checklist checks) : IWorkflowStep
{
    public string Title => "Orchestrated saga: reserve, charge (declined), compensate";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var order = new OrderPlaced("1003", "alan@example.com", [new OrderLine("SKU-3", 1)], 59.90m, PaymentService.DeclinedCard);
        var stockBefore = inventory.InStock("SKU-3");

        // The client owns a private reply queue for the saga's requests and deletes it when disposed.
        var requests = await RequestClient.StartAsync(transport, names.ReplyQueuePrefix, cancellationToken).ConfigureAwait(false);
        SagaOutcome outcome;
        await using (requests.ConfigureAwait(false))
        {
            outcome = await orchestrator.RunAsync(requests, order, cancellationToken).ConfigureAwait(false);
        }

        checks.Verify(outcome is { Completed: false, Reason: "card declined" }, "the saga ended cancelled because the card was declined",
            $"completed: {outcome.Completed}, reason: {outcome.Reason}");
        var reserved = milestones["reserved:1003"];
        var declined = milestones["declined:1003"];
        var released = milestones["released:1003"];
        checks.Verify(
            reserved.Count == 1 && declined.Count == 1 && released.Count == 1
            && reserved.FirstSequence < declined.FirstSequence && declined.FirstSequence < released.FirstSequence,
            "the saga reserved, then was declined, then released, once each",
            $"reserved {reserved.Count}, declined {declined.Count}, released {released.Count}");
        checks.Verify(inventory.InStock("SKU-3") == stockBefore && !inventory.HasReservation("1003"),
            "the compensation gave the stock back", $"SKU-3 in stock: {inventory.InStock("SKU-3")}, before: {stockBefore}");
        checks.Verify(!payment.HasCharged("1003"), "order 1003 was never charged");
        await checks.WaitForAsync(milestones["email:order.cancelled:1003"], "email told the customer that order 1003 was cancelled", cancellationToken).ConfigureAwait(false);
    }
}

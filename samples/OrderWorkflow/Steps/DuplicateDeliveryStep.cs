using OrderWorkflow.Services;
using OrderWorkflow.Story;

namespace OrderWorkflow.Steps;

/// <summary>
/// Step 5: the shop publishes order 1001's <c>order.placed</c> envelope again, unchanged, as a publisher does after
/// an unknown outcome. Every subscriber gets the copy; each one's inbox recognises the message id and skips it.
/// </summary>
internal sealed class DuplicateDeliveryStep(Shop shop, Milestones milestones, Checklist checks, Narrator narrator) : IWorkflowStep
{
    private static readonly string[] OrderPlacedSubscribers = [WorkflowNames.Inventory, WorkflowNames.Payment, WorkflowNames.Email];

    public string Title => "Duplicate delivery: idempotent consumers skip a message they handled";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        narrator.Say("shop", "the confirm of order 1001's publish was lost (a timeout), so the shop publishes the same envelope again");
        await shop.PublishAgainAsync("1001", cancellationToken).ConfigureAwait(false);

        foreach (var service in OrderPlacedSubscribers)
        {
            await checks.WaitForAsync(milestones[$"duplicate:{service}:1001"], $"{service} skipped the duplicate order.placed 1001", cancellationToken).ConfigureAwait(false);
        }

        checks.Verify(milestones["reserved:1001"].Count == 1, "order 1001's stock was reserved once", $"{milestones["reserved:1001"].Count} times");
        checks.Verify(milestones["charged:1001"].Count == 1, "order 1001 was charged once", $"{milestones["charged:1001"].Count} times");
        checks.Verify(milestones["email:order.placed:1001"].Count == 1, "order 1001's customer got one confirmation", $"{milestones["email:order.placed:1001"].Count} emails");
    }
}

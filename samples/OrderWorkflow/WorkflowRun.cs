using Messaging.Adapters;
using OrderWorkflow.Steps;
using OrderWorkflow.Story;

namespace OrderWorkflow;

/// <summary>
/// Runs the steps in order, prints the summary, and turns the checklist into the exit code.
/// </summary>
internal sealed class WorkflowRun(IEnumerable<IWorkflowStep> steps, ITransport transport, WorkflowNames names, Checklist checks, Narrator narrator)
{
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        var capabilities = transport.Capabilities;
        narrator.Title("Order workflow on Messaging.Adapters");
        narrator.Plain($"transport: {transport.Name} (durable: {YesNo(capabilities.Durable)}, streams: {YesNo(capabilities.Streams)}, ordering by key: {YesNo(capabilities.OrderingByKey)})");
        narrator.Plain($"run: {names.RunId} (every topic, queue and stream of this run ends in -{names.RunId})");

        var number = 0;
        foreach (var step in steps)
        {
            number++;
            narrator.Step(number, step.Title);
            checks.CurrentStep = $"{number}. {step.Title}";
            try
            {
                await step.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                checks.Verify(false, "the run was not interrupted", "cancelled");
                break;
            }
#pragma warning disable CA1031 // A failing step is reported and the next one still runs: the summary shows everything at once.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                checks.Verify(false, "the step ran without an error", $"{ex.GetType().Name}: {ex.Message}");
            }
        }

        return PrintSummary();
    }

    private bool PrintSummary()
    {
        var all = checks.Checks;
        narrator.Plain("");
        narrator.Plain("Summary");
        narrator.Plain("-------");
        foreach (var step in all.GroupBy(c => c.Step))
        {
            var failed = step.Count(c => c.Outcome == CheckOutcome.Failed);
            var skipped = step.Count(c => c.Outcome == CheckOutcome.Skipped);
            var passed = step.Count(c => c.Outcome == CheckOutcome.Passed);
            var verdict = failed > 0 ? "FAILED" : skipped > 0 && passed == 0 ? "skipped" : "ok";
            var colon = step.Key.IndexOf(':', StringComparison.Ordinal);
            var title = colon > 0 ? step.Key[..colon] : step.Key;
            narrator.Plain($"  {title,-26} {verdict,-7} ({passed} passed{(failed > 0 ? $", {failed} failed" : "")}{(skipped > 0 ? $", {skipped} skipped" : "")})");
            foreach (var check in step.Where(c => c.Outcome != CheckOutcome.Passed))
            {
                narrator.Plain($"      {(check.Outcome == CheckOutcome.Failed ? "FAILED" : "skipped")}: {check.Expectation}{(check.Detail is null ? "" : $" ({check.Detail})")}");
            }
        }

        var totalFailed = all.Count(c => c.Outcome == CheckOutcome.Failed);
        narrator.Plain("");
        narrator.Plain($"{all.Count(c => c.Outcome == CheckOutcome.Passed)} checks passed, {totalFailed} failed, {all.Count(c => c.Outcome == CheckOutcome.Skipped)} skipped");
        return totalFailed == 0;
    }

    private static string YesNo(bool value) => value ? "yes" : "no";
}

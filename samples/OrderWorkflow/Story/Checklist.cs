namespace OrderWorkflow.Story;

/// <summary>
/// What each step expected and whether it happened; the summary and the exit code come from here.
/// </summary>
internal sealed class Checklist(Narrator narrator)
{
    /// <summary>How long a step waits for something that should take milliseconds.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly List<Check> _checks = [];

    public string CurrentStep { get; set; } = "";

    public IReadOnlyList<Check> Checks
    {
        get
        {
            lock (_gate)
            {
                return [.. _checks];
            }
        }
    }

    /// <summary>Records a check; a failure is printed at once so it shows where it happened.</summary>
    public bool Verify(bool passed, string expectation, string? detail = null)
    {
        lock (_gate)
        {
            _checks.Add(new Check(CurrentStep, expectation, passed ? CheckOutcome.Passed : CheckOutcome.Failed, detail));
        }

        if (!passed)
        {
            narrator.Line($"!! FAILED: {expectation}{(detail is null ? "" : $" ({detail})")}");
        }

        return passed;
    }

    /// <summary>Records a check that could not run on this transport, with the reason.</summary>
    public void Skip(string expectation, string reason)
    {
        lock (_gate)
        {
            _checks.Add(new Check(CurrentStep, expectation, CheckOutcome.Skipped, reason));
        }

        narrator.Line($"-- skipped: {expectation} ({reason})");
    }

    /// <summary>Waits for a milestone to be reached <paramref name="times"/> times and records the check.</summary>
    public async Task<bool> WaitForAsync(Milestone milestone, string expectation, CancellationToken cancellationToken, int times = 1)
    {
        var reached = await milestone.WaitAsync(times, Timeout, cancellationToken).ConfigureAwait(false);
        return Verify(reached, expectation, reached ? null : $"'{milestone.Name}' reached {milestone.Count} of {times} time(s) within {Timeout.TotalSeconds:0} s");
    }
}

internal enum CheckOutcome
{
    Passed,
    Failed,
    Skipped,
}

internal sealed record Check(string Step, string Expectation, CheckOutcome Outcome, string? Detail);

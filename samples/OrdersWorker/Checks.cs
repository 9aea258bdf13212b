namespace OrdersWorker;

/// <summary>
/// Every check of the story, printed as it is made; the summary line and the exit code come from here.
/// </summary>
public sealed class Checks
{
    private int _passed;
    private int _skipped;
    private readonly List<string> _failed = [];

    /// <summary>Whether every check passed (or was skipped for a capability the transport lacks).</summary>
    public bool AllPassed => _failed.Count == 0;

    /// <summary>Checks that <paramref name="actual"/> is exactly <paramref name="expected"/> (order aside, repeats counted).</summary>
    public bool Expect<T>(string expectation, IEnumerable<T> expected, IEnumerable<T> actual)
    {
        var want = expected.Order().ToList();
        var got = actual.Order().ToList();
        return That(expectation, want.SequenceEqual(got), $"expected [{string.Join(", ", want)}], got [{string.Join(", ", got)}]");
    }

    /// <summary>Records a check.</summary>
    public bool That(string expectation, bool passed, string? detail = null)
    {
        if (passed)
        {
            _passed++;
            Console.WriteLine($"  passed: {expectation}");
        }
        else
        {
            _failed.Add(expectation);
            Console.WriteLine($"  FAILED: {expectation}{(detail is null ? "" : $" ({detail})")}");
        }

        return passed;
    }

    /// <summary>Records a check the transport cannot run, with the reason.</summary>
    public void Skip(string expectation, string reason)
    {
        _skipped++;
        Console.WriteLine($"  skipped: {expectation} ({reason})");
    }

    /// <summary>Records a step that ended with an exception.</summary>
    public void Failed(string step, Exception exception)
    {
        _failed.Add(step);
        Console.WriteLine($"  FAILED: {step} threw {exception.GetType().Name}: {exception.Message}");
    }

    /// <summary>The last line: the counts, then the failed checks by name.</summary>
    public string Summary() =>
        $"{_passed} checks passed, {_failed.Count} failed, {_skipped} skipped"
        + (_failed.Count == 0 ? "" : $": {string.Join("; ", _failed)}");
}

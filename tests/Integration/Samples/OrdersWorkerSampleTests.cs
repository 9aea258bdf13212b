using System.Text.RegularExpressions;

namespace Messaging.Adapters.Integration.Samples;

/// <summary>
/// The orders worker sample (issue 10: the worker service a new user writes, with at most ~40 lines of set-up) runs
/// its six steps with every check passed on every transport, by configuration alone; each run's names start with a
/// prefix of its own, so runs sharing a broker never meet, and the run deletes what it created.
/// </summary>
public sealed partial class OrdersWorkerSampleTests
{
    /// <summary>The checks the worker makes: 18, one of them (the stream replay) skipped where there are no streams.</summary>
    private const int Checks = 18;

    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Theory]
    [MemberData(nameof(SampleRun.Transports), MemberType = typeof(SampleRun))]
    public async Task The_orders_worker_passes_every_check(string transport)
    {
        var (exitCode, output) = await RunAsync(transport);

        Assert.True(exitCode == 0, $"The sample ended with exit code {exitCode} on {transport}:\n{output}");
        Assert.DoesNotContain("FAILED", output, StringComparison.Ordinal);
        var skipped = transport == "Aws" ? 1 : 0;    // the AWS transport declares no streams: step 5 says so
        Assert.Contains($"{Checks - skipped} checks passed, 0 failed, {skipped} skipped", output, StringComparison.Ordinal);
        Assert.Equal(Checks - skipped, PassedLine().Count(output));
        Assert.Equal(
            skipped == 0 ? [] : ["a new reader group replayed the order history from its start (the Aws transport offers no streams)"],
            SkippedLine().Matches(output).Select(m => m.Groups[1].Value));
        Assert.Matches(@"Deleted the \d+ topics, subscriptions, queues and streams of this run\.", output);
    }

    [Fact]
    public async Task A_failed_check_ends_the_worker_with_exit_code_1_naming_the_check()
    {
        // One payments consumer instead of two (Messaging:Consumers:<queue>:Count): step 2's check cannot pass.
        var (exitCode, output) = await RunAsync("InMemory", prefix => new Dictionary<string, string> { [$"Messaging__Consumers__{prefix}payments__Count"] = "1" });

        Assert.Equal(1, exitCode);
        Assert.Contains("  FAILED: both consumers charged cards at the same time, and never more than one card each (at most 1 at once)", output, StringComparison.Ordinal);
        Assert.Contains($"{Checks - 1} checks passed, 1 failed, 0 skipped: both consumers charged cards at the same time", output, StringComparison.Ordinal);
    }

    private static Task<(int ExitCode, string Output)> RunAsync(string transport, Func<string, Dictionary<string, string>>? more = null)
    {
        var prefix = $"ow{Guid.NewGuid():N}"[..10] + "-";
        var settings = more?.Invoke(prefix) ?? [];
        settings["OrdersWorker__NamePrefix"] = prefix;
        return SampleRun.RunAsync("OrdersWorker", transport, RunTimeout, settings);
    }

    [GeneratedRegex(@"^  passed: ", RegexOptions.Multiline)]
    private static partial Regex PassedLine();

    [GeneratedRegex(@"^  skipped: (.*?)\r?$", RegexOptions.Multiline)]
    private static partial Regex SkippedLine();
}

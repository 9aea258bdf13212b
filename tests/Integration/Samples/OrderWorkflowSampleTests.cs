namespace Messaging.Adapters.Integration.Samples;

/// <summary>
/// The order workflow sample (README's main job) runs to its end with every check passed on every transport, by
/// configuration alone: the same built program, only <c>Messaging__Transport</c> and the broker's address change.
/// </summary>
public sealed class OrderWorkflowSampleTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Theory]
    [MemberData(nameof(SampleRun.Transports), MemberType = typeof(SampleRun))]
    public async Task The_order_workflow_sample_passes_every_check(string transport)
    {
        var (exitCode, output) = await SampleRun.RunAsync("OrderWorkflow", transport, RunTimeout);

        Assert.True(exitCode == 0, $"The sample ended with exit code {exitCode} on {transport}:\n{output}");
        Assert.Matches(@"\d+ checks passed, 0 failed", output);
    }
}

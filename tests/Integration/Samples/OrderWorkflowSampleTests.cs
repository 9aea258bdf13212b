namespace Messaging.Adapters.Integration.Samples;

/// <summary>
/// The order workflow sample (README's main job) runs to its end with every check passed on every transport, by
/// configuration alone: the same built program, only <c>Messaging__Transport</c> and the broker's address change.
/// With the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set it also exports its traces and metrics over OTLP.
/// </summary>
public sealed class OrderWorkflowSampleTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Theory]
    [MemberData(nameof(SampleRun.Transports), MemberType = typeof(SampleRun))]
    public async Task The_order_workflow_sample_passes_every_check(string transport)
    {
        await RunPassingAsync(transport, new Dictionary<string, string>());
    }

    [Fact]
    public async Task With_an_OTLP_endpoint_set_the_sample_exports_its_traces_and_metrics_to_it()
    {
        await using var collector = new OtlpHttpCollector();

        var output = await RunPassingAsync("InMemory", new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });

        Assert.Contains($"exporting traces and metrics over OTLP to {collector.Endpoint}", output, StringComparison.Ordinal);
        var requests = collector.Requests;
        var traces = requests.Where(r => r is { Method: "POST", Path: "/v1/traces" }).ToList();
        Assert.True(traces.Count > 0, $"No POST to /v1/traces arrived; requests: {string.Join(", ", requests.Select(r => $"{r.Method} {r.Path}"))}");
        Assert.All(traces, r =>
        {
            Assert.Equal("application/x-protobuf", r.ContentType);
            Assert.NotEmpty(r.Body);
        });
        Assert.Contains(requests, r => r is { Method: "POST", Path: "/v1/metrics" } && r.Body.Length > 0);
    }

    [Fact]
    public async Task Without_an_OTLP_endpoint_the_sample_exports_nothing()
    {
        // Empty rather than absent, so that a value in the test's own environment cannot leak into the run.
        var output = await RunPassingAsync("InMemory", new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "" });

        Assert.DoesNotContain("exporting traces and metrics over OTLP", output, StringComparison.Ordinal);
    }

    /// <summary>Runs the sample with these extra settings, requires every check to pass, and returns what it printed.</summary>
    private static async Task<string> RunPassingAsync(string transport, IReadOnlyDictionary<string, string> settings)
    {
        var (exitCode, output) = await SampleRun.RunAsync("OrderWorkflow", transport, RunTimeout, settings);

        Assert.True(exitCode == 0, $"The sample ended with exit code {exitCode} on {transport}:\n{output}");
        Assert.Matches(@"\d+ checks passed, 0 failed", output);
        return output;
    }
}

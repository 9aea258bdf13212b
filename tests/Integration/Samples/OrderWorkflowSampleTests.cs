using System.Diagnostics;
using System.Text;
using Messaging.Adapters.Integration.Transports.Aws;
using Messaging.Adapters.Integration.Transports.Kafka;
using Messaging.Adapters.Integration.Transports.RabbitMq;

namespace Messaging.Adapters.Integration.Samples;

/// <summary>
/// The order workflow sample (README's main job) runs to its end with every check passed on every transport, by
/// configuration alone: the same built program, only <c>Messaging__Transport</c> and the broker's address change.
/// </summary>
public sealed class OrderWorkflowSampleTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Theory]
    [InlineData("InMemory")]
    [InlineData("RabbitMq")]
    [InlineData("Kafka")]
    [InlineData("Aws")]
    public async Task The_order_workflow_sample_passes_every_check(string transport)
    {
        await RunPassingAsync(transport, new Dictionary<string, string?>());
    }

    [Fact]
    public async Task With_an_OTLP_endpoint_set_the_sample_exports_its_traces_and_metrics_to_it()
    {
        using var collector = new OtlpHttpCollector();

        var output = await RunPassingAsync("InMemory", new Dictionary<string, string?>
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
        var output = await RunPassingAsync("InMemory", new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null });

        Assert.DoesNotContain("exporting traces and metrics over OTLP", output, StringComparison.Ordinal);
    }

    /// <summary>Runs the built sample on <paramref name="transport"/> with these environment variables (a null value
    /// removes one inherited), requires every check to pass, and returns what it printed.</summary>
    private static async Task<string> RunPassingAsync(string transport, Dictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { SamplePath() },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Messaging__Transport"] = transport;
        Configure(start.Environment, transport);
        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var output = new StringBuilder();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the sample.");
        process.OutputDataReceived += (_, line) => Append(output, line.Data);
        process.ErrorDataReceived += (_, line) => Append(output, line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The sample did not end within {RunTimeout.TotalMinutes} minutes on {transport}:\n{Text(output)}");
        }

        process.WaitForExit();
        TestContext.Current.TestOutputHelper?.WriteLine(Text(output));
        Assert.True(process.ExitCode == 0, $"The sample ended with exit code {process.ExitCode} on {transport}:\n{Text(output)}");
        Assert.Matches(@"\d+ checks passed, 0 failed", Text(output));
        return Text(output);
    }

    /// <summary>The broker's address, as an application would be given it, from where the conformance fixtures find
    /// their brokers.</summary>
    private static void Configure(IDictionary<string, string?> environment, string transport)
    {
        switch (transport)
        {
            case "RabbitMq":
                RabbitMqFixture.BrokerFaultGuard.Share();
                environment["Messaging__RabbitMq__Uri"] = RabbitMqFixture.BrokerUri.ToString();
                break;
            case "Kafka":
                environment["Messaging__Kafka__BootstrapServers"] = KafkaTestCluster.Bootstrap();
                if (KafkaTestCluster.IsMock)
                {
                    // The mock cluster completes a rebalance only after the session timeout less a second (a broker
                    // does once every member rejoined): a short session keeps the sample's competing consumers quick.
                    environment["Messaging__Kafka__SessionTimeout"] = "00:00:03";
                }

                break;
            case "Aws":
                AwsTestEnvironment.Apply();
                foreach (var variable in new[] { "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED" })
                {
                    environment[variable] = Environment.GetEnvironmentVariable(variable);
                }

                break;
        }
    }

    private static string SamplePath()
    {
        // tests/Integration/bin/<configuration>/<framework>/ -> samples/OrderWorkflow/bin/<configuration>/<framework>/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Messaging.Adapters.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root?.FullName ?? throw new InvalidOperationException("The repository root (Messaging.Adapters.sln) is not above " + AppContext.BaseDirectory),
            "samples", "OrderWorkflow", "bin", configuration, framework, "OrderWorkflow.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"The sample is not built at {path}: build the solution first.");
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}

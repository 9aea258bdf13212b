using System.Diagnostics;
using System.Text;
using Messaging.Adapters.Integration.Transports.Aws;
using Messaging.Adapters.Integration.Transports.Kafka;
using Messaging.Adapters.Tests.Brokers;

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
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { SamplePath() },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Messaging__Transport"] = transport;
        await ConfigureAsync(start.Environment, transport);

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
    }

    /// <summary>The broker's address, as an application would be given it, from where the conformance fixtures find
    /// their brokers.</summary>
    private static async Task ConfigureAsync(IDictionary<string, string?> environment, string transport)
    {
        switch (transport)
        {
            case "RabbitMq":
                environment["Messaging__RabbitMq__Uri"] = (await RabbitMqTestBroker.UriAsync(TestContext.Current.CancellationToken, shareWithFaultTests: true)).ToString();
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

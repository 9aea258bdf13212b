using System.Diagnostics;
using System.Text;
using Messaging.Adapters.Integration.Transports.Aws;
using Messaging.Adapters.Integration.Transports.Kafka;
using Messaging.Adapters.Tests.Brokers;

namespace Messaging.Adapters.Integration.Samples;

/// <summary>
/// Runs a built sample (samples/&lt;name&gt;) as its own process on a transport, configured as an application is: by
/// <c>Messaging__Transport</c> and the broker's address in the environment, from where the conformance fixtures find
/// their brokers. The process starts in the sample's output folder, its content root, as <c>dotnet run</c> would.
/// </summary>
internal static class SampleRun
{
    /// <summary>Every transport a sample runs on: each sample's theory runs on all of them.</summary>
    public static TheoryData<string> Transports => ["InMemory", "RabbitMq", "Kafka", "Aws"];

    /// <summary>Runs the sample to its end and returns its exit code and everything it wrote.</summary>
    /// <param name="sample">The sample's folder and assembly name under samples/.</param>
    /// <param name="transport">The value of <c>Messaging:Transport</c>.</param>
    /// <param name="timeout">How long the run may take; a run that takes longer is killed and fails the test.</param>
    /// <param name="settings">More environment variables (configuration keys in the <c>__</c> form).</param>
    public static async Task<(int ExitCode, string Output)> RunAsync(string sample, string transport, TimeSpan timeout, IReadOnlyDictionary<string, string>? settings = null)
    {
        var program = SamplePath(sample);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { program },
            WorkingDirectory = Path.GetDirectoryName(program),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Messaging__Transport"] = transport;
        await ConfigureAsync(start.Environment, transport);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var output = new StringBuilder();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the {sample} sample.");
        process.OutputDataReceived += (_, line) => Append(output, line.Data);
        process.ErrorDataReceived += (_, line) => Append(output, line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The {sample} sample did not end within {timeout.TotalMinutes} minutes on {transport}:\n{Text(output)}");
        }

        process.WaitForExit();
        TestContext.Current.TestOutputHelper?.WriteLine(Text(output));
        return (process.ExitCode, Text(output));
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
                    // does once every member rejoined): a short session keeps the samples' competing consumers quick.
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

    private static string SamplePath(string sample)
    {
        // tests/Integration/bin/<configuration>/<framework>/ -> samples/<sample>/bin/<configuration>/<framework>/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Messaging.Adapters.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root?.FullName ?? throw new InvalidOperationException("The repository root (Messaging.Adapters.sln) is not above " + AppContext.BaseDirectory),
            "samples", sample, "bin", configuration, framework, sample + ".dll");
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

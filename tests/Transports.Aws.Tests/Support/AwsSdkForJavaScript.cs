using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Messaging.Adapters.Aws.Tests.Support;

/// <summary>
/// Runs calls through the official AWS SDK for JavaScript v3 (<c>@aws-sdk/client-sns</c>, <c>@aws-sdk/client-sqs</c>),
/// installed by <c>eng/brokers/aws.sh</c> into <c>MESSAGING_AWS_TOOLS_DIR</c>: the reference the tests compare requests
/// with, and a third-party client for interop. Missing tools fail the test, naming the script that installs them.
/// </summary>
internal static class AwsSdkForJavaScript
{
    public static string ToolsDirectory { get; } = Environment.GetEnvironmentVariable("MESSAGING_AWS_TOOLS_DIR") is { Length: > 0 } configured
        ? configured
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "messaging-adapters", "aws");

    /// <summary>Makes the calls against <paramref name="endpoint"/>; one result (<c>ok</c>, <c>output</c> or <c>error</c>) per call.</summary>
    public static async Task<IReadOnlyList<JsonObject>> CallAsync(Uri endpoint, IEnumerable<(string Client, string Command, object Input)> calls, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Path.Combine(ToolsDirectory, "node_modules", "@aws-sdk", "client-sns")))
        {
            throw new InvalidOperationException($"The AWS SDK for JavaScript is not installed in {ToolsDirectory} (MESSAGING_AWS_TOOLS_DIR): run eng/brokers/aws.sh.");
        }

        var script = Path.Combine(AppContext.BaseDirectory, "Support", "aws-sdk-calls.cjs");
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(ToolsDirectory);
        start.ArgumentList.Add(endpoint.ToString());
        start.Environment["AWS_SDK_JS_SUPPRESS_NODEJS_VERSION_WARNING"] = "1";
        start.Environment.Remove("AWS_ENDPOINT_URL");
        using var node = Process.Start(start) ?? throw new InvalidOperationException("node could not be started: Node.js 20 or later must be on the PATH.");
        var input = new JsonArray([.. calls.Select(c => new JsonObject { ["client"] = c.Client, ["command"] = c.Command, ["input"] = JsonSerializer.SerializeToNode(c.Input) })]);
        await node.StandardInput.WriteAsync(input.ToJsonString().AsMemory(), cancellationToken);
        node.StandardInput.Close();
        var output = node.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = node.StandardError.ReadToEndAsync(cancellationToken);
        await node.WaitForExitAsync(cancellationToken);
        if (node.ExitCode != 0)
        {
            throw new InvalidOperationException($"node exited with {node.ExitCode}: {await errors}");
        }

        return [.. (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject())];
    }
}

using Amazon;
using Amazon.Runtime;
using Amazon.SQS;

namespace Messaging.Adapters.Benchmarks.Aws;

/// <summary>
/// Where both pipelines send: the standard AWS variables, by default the local emulator <c>eng/brokers/aws.sh</c>
/// starts (<c>AWS_ENDPOINT_URL</c> http://127.0.0.1:4566, region us-east-1, dummy credentials), as the tests use it.
/// </summary>
internal static class Endpoint
{
    private const string Local = "http://127.0.0.1:4566";

    /// <summary>Fills in the local emulator's settings where the environment names none (unless
    /// <c>MESSAGING_AWS_REAL=true</c>: then AWS's own chain decides).</summary>
    public static void ApplyDefaults()
    {
        Default("AWS_REGION", Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1");
        if (string.Equals(Environment.GetEnvironmentVariable("MESSAGING_AWS_REAL"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        Default("AWS_ENDPOINT_URL", Local);
        Default("AWS_ACCESS_KEY_ID", "test");
        Default("AWS_SECRET_ACCESS_KEY", "test");
        Default("AWS_EC2_METADATA_DISABLED", "true");
    }

    /// <summary>The endpoint and region, for the report.</summary>
    public static string Description =>
        $"SQS at {SqsUrl ?? "AWS's regional endpoint"} in {Environment.GetEnvironmentVariable("AWS_REGION")}";

    /// <summary>The raw client's configuration: the same endpoint, region and retry mode as the adapter's client, and
    /// the same request counter.</summary>
    public static AmazonSQSConfig RawConfig(HttpClientFactory requests)
    {
        var region = Environment.GetEnvironmentVariable("AWS_REGION")!;
        var config = new AmazonSQSConfig { RetryMode = RequestRetryMode.Standard, HttpClientFactory = requests };
        if (SqsUrl is { } url)
        {
            config.ServiceURL = url;
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        return config;
    }

    /// <summary>A queue name of its own for each run (both pipelines delete theirs at the end).</summary>
    public static string NewQueueName(string pipeline) => $"bench-{pipeline}-{Guid.NewGuid():N}"[..32];

    private static string? SqsUrl =>
        Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_SQS") is { Length: > 0 } sqs ? sqs
        : Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") is { Length: > 0 } any ? any : null;

    private static void Default(string variable, string value)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            Environment.SetEnvironmentVariable(variable, value);
        }
    }
}

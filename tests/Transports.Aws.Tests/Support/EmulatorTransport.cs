using Amazon.SQS;
using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Integration.Transports.Aws;

namespace Messaging.Adapters.Aws.Tests.Support;

/// <summary>
/// Transports and raw clients on the endpoint the tests use (the local emulator by default; see
/// <see cref="AwsTestEnvironment"/>), with names unique to the run.
/// </summary>
internal static class EmulatorTransport
{
    static EmulatorTransport() => AwsTestEnvironment.Apply();

    public static string RunId { get; } = Guid.NewGuid().ToString("N")[..8];

    private static int s_counter;

    public static string UniqueName(string prefix) => $"{prefix}-{RunId}-{Interlocked.Increment(ref s_counter)}";

    public static Uri Endpoint => new(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") ?? AwsTestEnvironment.LocalEndpoint);

    /// <summary>A transport on the test endpoint; <paramref name="intercept"/> wraps its SQS client.</summary>
    public static AwsTransport Create(Action<AwsTransportOptions>? configure = null, Func<string, object?[], Func<object?>, object?>? intercept = null)
    {
        var options = new AwsTransportOptions();
        configure?.Invoke(options);
        if (intercept is null)
        {
            return new AwsTransport(options);
        }

        var settings = AwsClientSettings.Resolve(options);
        var sqs = new AmazonSQSClient(settings.Credentials, settings.SqsConfig(options));
        var sns = new SnsQueryClient(settings.Credentials, settings.Region, settings.SnsEndpoint, options.MaxErrorRetry);
        return new AwsTransport(options, sqs: SqsInterceptor.Wrap(sqs, intercept), sns: sns);
    }
}

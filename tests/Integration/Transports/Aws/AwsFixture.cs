using Messaging.Adapters.Aws;
using Messaging.Adapters.Integration.Conformance;

namespace Messaging.Adapters.Integration.Transports.Aws;

/// <summary>
/// Runs the conformance suite against SQS and SNS: the endpoint in <c>AWS_ENDPOINT_URL</c>, by default the local
/// emulator that <c>eng/brokers/aws.sh</c> installs and starts, reached through the standard AWS variables (region,
/// credentials) so the same suite runs against real AWS with <c>MESSAGING_AWS_REAL=true</c>. An endpoint that cannot be
/// reached fails the fixture (and so every test), naming the address and the variable; it never skips.
/// </summary>
public sealed class AwsFixture : TransportFixture
{
    static AwsFixture() => AwsTestEnvironment.Apply();

    /// <inheritdoc />
    public override string EndpointDescription => AwsTestEnvironment.Description;

    /// <inheritdoc />
    /// <value>The emulator answers at once, but a delayed retry waits at least one second (the visibility timeout
    /// counts whole seconds) and a long poll's messages can take a moment to come back: 30 seconds.</value>
    public override TimeSpan Timeout => TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    protected override Task<ITransport> CreateTransportAsync(CancellationToken cancellationToken) =>
        Task.FromResult<ITransport>(new AwsTransport(new AwsTransportOptions
        {
            // Short enough that a consumer that was stopped or crashed hands its messages back quickly in the tests.
            VisibilityTimeout = TimeSpan.FromSeconds(10),
        }));
}

/// <summary>
/// The standard AWS variables the tests run with: where unset, the local emulator's endpoint, a region, dummy
/// credentials, and no instance metadata lookups (which would hang off EC2).
/// </summary>
internal static class AwsTestEnvironment
{
    public const string LocalEndpoint = "http://127.0.0.1:4566";

    public static string Description =>
        $"SQS/SNS at {Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") ?? "AWS's regional endpoints"} in {Environment.GetEnvironmentVariable("AWS_REGION")} (set AWS_ENDPOINT_URL to use another endpoint, MESSAGING_AWS_REAL=true for real AWS; the local emulator is started by eng/brokers/aws.sh)";

    public static void Apply()
    {
        var real = string.Equals(Environment.GetEnvironmentVariable("MESSAGING_AWS_REAL"), "true", StringComparison.OrdinalIgnoreCase);
        Default("AWS_REGION", Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1");
        if (real)
        {
            return;
        }

        Default("AWS_ENDPOINT_URL", LocalEndpoint);
        Default("AWS_ACCESS_KEY_ID", "test");
        Default("AWS_SECRET_ACCESS_KEY", "test");
        Default("AWS_EC2_METADATA_DISABLED", "true");
    }

    private static void Default(string variable, string value)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            Environment.SetEnvironmentVariable(variable, value);
        }
    }
}

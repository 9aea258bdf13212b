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

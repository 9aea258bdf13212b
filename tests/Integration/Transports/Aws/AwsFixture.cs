namespace Messaging.Adapters.Integration.Transports.Aws;

/// <summary>
/// Runs the conformance suite against standard SQS queues and SNS topics (see <see cref="AwsTransportFixture"/>):
/// ordering by key is off, as standard queues keep no order.
/// </summary>
public sealed class AwsFixture : AwsTransportFixture;

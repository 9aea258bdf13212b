using Messaging.Adapters.Integration.Conformance;

namespace Messaging.Adapters.Integration.Transports.Aws;

// One line per scenario area: the whole of what the AWS transport adds to the suite besides its fixture.
// SuitePolicyTests fails if an area is missing here or if a line grows a body.

public sealed class AwsFanOut(AwsFixture f) : FanOutScenarios<AwsFixture>(f);

public sealed class AwsCompetingConsumers(AwsFixture f) : CompetingConsumersScenarios<AwsFixture>(f);

public sealed class AwsSubscriptions(AwsFixture f) : SubscriptionScenarios<AwsFixture>(f);

public sealed class AwsFiltering(AwsFixture f) : FilteringScenarios<AwsFixture>(f);

public sealed class AwsRetryAndDeadLetter(AwsFixture f) : RetryAndDeadLetterScenarios<AwsFixture>(f);

public sealed class AwsOrdering(AwsFixture f) : OrderingScenarios<AwsFixture>(f);

public sealed class AwsInFlightLimit(AwsFixture f) : InFlightLimitScenarios<AwsFixture>(f);

public sealed class AwsRequestReply(AwsFixture f) : RequestReplyScenarios<AwsFixture>(f);

public sealed class AwsStreams(AwsFixture f) : StreamScenarios<AwsFixture>(f);

public sealed class AwsEnvelopeRoundTrip(AwsFixture f) : EnvelopeRoundTripScenarios<AwsFixture>(f);

public sealed class AwsLimits(AwsFixture f) : LimitScenarios<AwsFixture>(f);

public sealed class AwsTopology(AwsFixture f) : TopologyScenarios<AwsFixture>(f);

public sealed class AwsShutdown(AwsFixture f) : ShutdownScenarios<AwsFixture>(f);

public sealed class AwsHostedConsumers(AwsFixture f) : HostedConsumerScenarios<AwsFixture>(f);

public sealed class AwsForeignMessages(AwsFixture f) : ForeignMessageScenarios<AwsFixture>(f);

public sealed class AwsTelemetry(AwsFixture f) : TelemetryScenarios<AwsFixture>(f);

public sealed class AwsDeadLetterTooling(AwsFixture f) : DeadLetterToolingScenarios<AwsFixture>(f);

// The same areas with every queue and topic FIFO (AwsFifoFixture): ordering by key runs here.

public sealed class AwsFifoFanOut(AwsFifoFixture f) : FanOutScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoCompetingConsumers(AwsFifoFixture f) : CompetingConsumersScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoSubscriptions(AwsFifoFixture f) : SubscriptionScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoFiltering(AwsFifoFixture f) : FilteringScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoRetryAndDeadLetter(AwsFifoFixture f) : RetryAndDeadLetterScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoOrdering(AwsFifoFixture f) : OrderingScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoInFlightLimit(AwsFifoFixture f) : InFlightLimitScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoRequestReply(AwsFifoFixture f) : RequestReplyScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoStreams(AwsFifoFixture f) : StreamScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoEnvelopeRoundTrip(AwsFifoFixture f) : EnvelopeRoundTripScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoLimits(AwsFifoFixture f) : LimitScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoTopology(AwsFifoFixture f) : TopologyScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoShutdown(AwsFifoFixture f) : ShutdownScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoForeignMessages(AwsFifoFixture f) : ForeignMessageScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoTelemetry(AwsFifoFixture f) : TelemetryScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoDeadLetterTooling(AwsFifoFixture f) : DeadLetterToolingScenarios<AwsFifoFixture>(f);

public sealed class AwsFifoHostedConsumers(AwsFifoFixture f) : HostedConsumerScenarios<AwsFifoFixture>(f);

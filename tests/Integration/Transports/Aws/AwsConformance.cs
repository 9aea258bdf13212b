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

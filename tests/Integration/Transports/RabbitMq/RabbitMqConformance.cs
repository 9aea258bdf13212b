using Messaging.Adapters.Integration.Conformance;

namespace Messaging.Adapters.Integration.Transports.RabbitMq;

// One line per scenario area: the whole of what the RabbitMQ transport adds to the suite besides its fixture.
// SuitePolicyTests fails if an area is missing here or if a line grows a body.

public sealed class RabbitMqFanOut(RabbitMqFixture f) : FanOutScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqCompetingConsumers(RabbitMqFixture f) : CompetingConsumersScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqSubscriptions(RabbitMqFixture f) : SubscriptionScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqFiltering(RabbitMqFixture f) : FilteringScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqRetryAndDeadLetter(RabbitMqFixture f) : RetryAndDeadLetterScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqOrdering(RabbitMqFixture f) : OrderingScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqInFlightLimit(RabbitMqFixture f) : InFlightLimitScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqRequestReply(RabbitMqFixture f) : RequestReplyScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqStreams(RabbitMqFixture f) : StreamScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqEnvelopeRoundTrip(RabbitMqFixture f) : EnvelopeRoundTripScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqLimits(RabbitMqFixture f) : LimitScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqTopology(RabbitMqFixture f) : TopologyScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqShutdown(RabbitMqFixture f) : ShutdownScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqHostedConsumers(RabbitMqFixture f) : HostedConsumerScenarios<RabbitMqFixture>(f);
public sealed class RabbitMqForeignMessages(RabbitMqFixture f) : ForeignMessageScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqTelemetry(RabbitMqFixture f) : TelemetryScenarios<RabbitMqFixture>(f);

public sealed class RabbitMqDeadLetterTooling(RabbitMqFixture f) : DeadLetterToolingScenarios<RabbitMqFixture>(f);

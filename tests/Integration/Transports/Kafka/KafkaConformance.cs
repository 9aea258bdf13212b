using Messaging.Adapters.Integration.Conformance;

namespace Messaging.Adapters.Integration.Transports.Kafka;

// One line per scenario area: the whole of what the Kafka transport adds to the suite besides its fixture.
// SuitePolicyTests fails if an area is missing here or if a line grows a body.

public sealed class KafkaFanOut(KafkaFixture f) : FanOutScenarios<KafkaFixture>(f);

public sealed class KafkaCompetingConsumers(KafkaFixture f) : CompetingConsumersScenarios<KafkaFixture>(f);

public sealed class KafkaSubscriptions(KafkaFixture f) : SubscriptionScenarios<KafkaFixture>(f);

public sealed class KafkaFiltering(KafkaFixture f) : FilteringScenarios<KafkaFixture>(f);

public sealed class KafkaRetryAndDeadLetter(KafkaFixture f) : RetryAndDeadLetterScenarios<KafkaFixture>(f);

public sealed class KafkaOrdering(KafkaFixture f) : OrderingScenarios<KafkaFixture>(f);

public sealed class KafkaInFlightLimit(KafkaFixture f) : InFlightLimitScenarios<KafkaFixture>(f);

public sealed class KafkaRequestReply(KafkaFixture f) : RequestReplyScenarios<KafkaFixture>(f);

public sealed class KafkaStreams(KafkaFixture f) : StreamScenarios<KafkaFixture>(f);

public sealed class KafkaEnvelopeRoundTrip(KafkaFixture f) : EnvelopeRoundTripScenarios<KafkaFixture>(f);

public sealed class KafkaLimits(KafkaFixture f) : LimitScenarios<KafkaFixture>(f);

public sealed class KafkaTopology(KafkaFixture f) : TopologyScenarios<KafkaFixture>(f);

public sealed class KafkaShutdown(KafkaFixture f) : ShutdownScenarios<KafkaFixture>(f);

public sealed class KafkaHostedConsumers(KafkaFixture f) : HostedConsumerScenarios<KafkaFixture>(f);

public sealed class KafkaForeignMessages(KafkaFixture f) : ForeignMessageScenarios<KafkaFixture>(f);

public sealed class KafkaTelemetry(KafkaFixture f) : TelemetryScenarios<KafkaFixture>(f);

public sealed class KafkaDeadLetterTooling(KafkaFixture f) : DeadLetterToolingScenarios<KafkaFixture>(f);

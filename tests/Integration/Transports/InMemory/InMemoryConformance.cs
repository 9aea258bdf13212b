using Messaging.Adapters.Integration.Conformance;

namespace Messaging.Adapters.Integration.Transports.InMemory;

// One line per scenario area: the whole of what the in-memory transport adds to the suite besides its fixture.
// SuitePolicyTests fails if an area is missing here or if a line grows a body.

public sealed class InMemoryFanOut(InMemoryFixture f) : FanOutScenarios<InMemoryFixture>(f);

public sealed class InMemoryCompetingConsumers(InMemoryFixture f) : CompetingConsumersScenarios<InMemoryFixture>(f);

public sealed class InMemorySubscriptions(InMemoryFixture f) : SubscriptionScenarios<InMemoryFixture>(f);

public sealed class InMemoryFiltering(InMemoryFixture f) : FilteringScenarios<InMemoryFixture>(f);

public sealed class InMemoryRetryAndDeadLetter(InMemoryFixture f) : RetryAndDeadLetterScenarios<InMemoryFixture>(f);

public sealed class InMemoryOrdering(InMemoryFixture f) : OrderingScenarios<InMemoryFixture>(f);

public sealed class InMemoryInFlightLimit(InMemoryFixture f) : InFlightLimitScenarios<InMemoryFixture>(f);

public sealed class InMemoryRequestReply(InMemoryFixture f) : RequestReplyScenarios<InMemoryFixture>(f);

public sealed class InMemoryStreams(InMemoryFixture f) : StreamScenarios<InMemoryFixture>(f);

public sealed class InMemoryEnvelopeRoundTrip(InMemoryFixture f) : EnvelopeRoundTripScenarios<InMemoryFixture>(f);

public sealed class InMemoryForeignMessages(InMemoryFixture f) : ForeignMessageScenarios<InMemoryFixture>(f);

public sealed class InMemoryTelemetry(InMemoryFixture f) : TelemetryScenarios<InMemoryFixture>(f);

public sealed class InMemoryDeadLetterTooling(InMemoryFixture f) : DeadLetterToolingScenarios<InMemoryFixture>(f);

public sealed class InMemoryLimits(InMemoryFixture f) : LimitScenarios<InMemoryFixture>(f);

public sealed class InMemoryTopology(InMemoryFixture f) : TopologyScenarios<InMemoryFixture>(f);

public sealed class InMemoryShutdown(InMemoryFixture f) : ShutdownScenarios<InMemoryFixture>(f);

public sealed class InMemoryHostedConsumers(InMemoryFixture f) : HostedConsumerScenarios<InMemoryFixture>(f);

// The same areas on the transport with every capability off (InMemoryMinimalFixture): refusals and fallbacks run here.

public sealed class InMemoryMinimalFanOut(InMemoryMinimalFixture f) : FanOutScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalCompetingConsumers(InMemoryMinimalFixture f) : CompetingConsumersScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalSubscriptions(InMemoryMinimalFixture f) : SubscriptionScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalFiltering(InMemoryMinimalFixture f) : FilteringScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalRetryAndDeadLetter(InMemoryMinimalFixture f) : RetryAndDeadLetterScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalOrdering(InMemoryMinimalFixture f) : OrderingScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalInFlightLimit(InMemoryMinimalFixture f) : InFlightLimitScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalRequestReply(InMemoryMinimalFixture f) : RequestReplyScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalStreams(InMemoryMinimalFixture f) : StreamScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalEnvelopeRoundTrip(InMemoryMinimalFixture f) : EnvelopeRoundTripScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalForeignMessages(InMemoryMinimalFixture f) : ForeignMessageScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalTelemetry(InMemoryMinimalFixture f) : TelemetryScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalDeadLetterTooling(InMemoryMinimalFixture f) : DeadLetterToolingScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalLimits(InMemoryMinimalFixture f) : LimitScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalTopology(InMemoryMinimalFixture f) : TopologyScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalShutdown(InMemoryMinimalFixture f) : ShutdownScenarios<InMemoryMinimalFixture>(f);

public sealed class InMemoryMinimalHostedConsumers(InMemoryMinimalFixture f) : HostedConsumerScenarios<InMemoryMinimalFixture>(f);

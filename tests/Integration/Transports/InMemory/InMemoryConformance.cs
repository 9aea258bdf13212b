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

public sealed class InMemoryLimits(InMemoryFixture f) : LimitScenarios<InMemoryFixture>(f);

public sealed class InMemoryTopology(InMemoryFixture f) : TopologyScenarios<InMemoryFixture>(f);

public sealed class InMemoryShutdown(InMemoryFixture f) : ShutdownScenarios<InMemoryFixture>(f);

using Messaging.Adapters.InMemory;
using Messaging.Adapters.Integration.Conformance;

namespace Messaging.Adapters.Integration.Transports.InMemory;

/// <summary>
/// Runs the conformance suite against the in-memory transport. Every transport the fixture creates works on one
/// <see cref="InMemoryBroker"/>, so <see cref="TransportFixture.ConnectAnotherAsync"/> gives a second "process" that
/// sees the same queues, subscriptions and streams, as a second connection to a real broker would.
/// </summary>
public sealed class InMemoryFixture : TransportFixture
{
    private readonly InMemoryBroker _broker = new();

    /// <inheritdoc />
    public override string EndpointDescription => "an in-process InMemoryBroker (nothing to reach, no environment variable)";

    /// <inheritdoc />
    protected override Task<ITransport> CreateTransportAsync(CancellationToken cancellationToken) =>
        Task.FromResult<ITransport>(new InMemoryTransport(_broker));
}

using Messaging.Adapters.InMemory;
using Messaging.Adapters.Integration.Conformance;

namespace Messaging.Adapters.Integration.Transports.InMemory;

/// <summary>
/// Runs the conformance suite against the in-memory transport configured with every boolean capability off and
/// small batch limits, standing in for the smaller brokers (SQS/SNS): this is where the suite's refusal and fallback
/// scenarios run (ordering, streams and reading from a time refused, batches over the limits refused, delayed
/// retries held in process, filters applied by the consumer), while the scenarios that need a capability are
/// skipped with its name.
/// </summary>
public sealed class InMemoryMinimalFixture : TransportFixture
{
    private static InMemoryTransportOptions Minimal => new()
    {
        Streams = false,
        StreamStartAtTime = false,
        OrderingByKey = false,
        DelayedDelivery = false,
        ServerSideFiltering = false,
        QueueInspection = false,

        // SQS/SNS-shaped, scaled down so that the limit scenarios move little data: 10 entries a batch, and a byte
        // limit that three messages of the maximum size go over.
        MaxMessageSize = 64 * 1024,
        MaxBatchEntries = 10,
        MaxBatchBytes = 128 * 1024,
    };

    private readonly InMemoryBroker _broker = new();

    /// <inheritdoc />
    public override string EndpointDescription => "an in-process InMemoryBroker with every capability off (nothing to reach, no environment variable)";

    /// <inheritdoc />
    /// <value><c>InMemory(minimal)</c>.</value>
    public override string TransportLabel => TransportName + "(minimal)";

    /// <inheritdoc />
    public override IReadOnlyList<string> CloudEventsHeaderPrefixes { get; } = [CloudEventHeaders.Prefix];

    /// <inheritdoc />
    public override Task SendForeignAsync(string queue, ForeignMessage message, CancellationToken cancellationToken) =>
        InMemoryFixture.SendNative(_broker, queue, message);

    /// <inheritdoc />
    protected override Task<ITransport> CreateTransportAsync(CancellationToken cancellationToken) =>
        Task.FromResult<ITransport>(new InMemoryTransport(_broker, Minimal));
}

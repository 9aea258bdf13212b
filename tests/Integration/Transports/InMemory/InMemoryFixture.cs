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
    public override IReadOnlyList<string> CloudEventsHeaderPrefixes { get; } = [CloudEventHeaders.Prefix];

    /// <inheritdoc />
    public override Task SendForeignAsync(string queue, ForeignMessage message, CancellationToken cancellationToken) => SendNative(_broker, queue, message);

    /// <summary>The in-memory broker's native send: what both in-memory fixtures do for <see cref="SendForeignAsync"/>.</summary>
    internal static Task SendNative(InMemoryBroker broker, string queue, ForeignMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        broker.SendNative(queue, new InMemoryNativeMessage(message.Body)
        {
            ContentType = message.ContentType,
            MessageId = message.MessageId,
            Type = message.Type,
            Timestamp = message.Timestamp,
            Headers = message.Headers,
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override Task<ITransport> CreateTransportAsync(CancellationToken cancellationToken) =>
        Task.FromResult<ITransport>(new InMemoryTransport(_broker));
}

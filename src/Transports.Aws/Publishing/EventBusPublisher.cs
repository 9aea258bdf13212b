using System.Text;
using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Envelopes;
using Messaging.Adapters.Aws.Topology;

namespace Messaging.Adapters.Aws.Publishing;

/// <summary>
/// Publishes to topics on an EventBridge bus (<see cref="AwsTransportOptions.EventBus"/>): <c>PutEvents</c>, up to 10
/// events per request; the bus's rules (one per subscription) route each event to the subscriptions whose pattern it
/// matches. A topic without subscriptions takes the message and delivers it nowhere, as the contract says.
/// </summary>
internal sealed class EventBusPublisher(AwsTransport transport, IEventBridgeClient events, string bus) : IPublisher
{
    /// <summary>The most one event may weigh (<c>PutEvents</c>: 256 KiB per entry, and per request).</summary>
    private const int MaxEventSize = 256 * 1024;

    public ValueTask PublishAsync(string topic, Envelope message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        transport.ThrowIfDisposed();
        DestinationNames.Validate(topic, "topic", nameof(topic));
        transport.CapabilitiesOf(topic).EnsureFits(message, topic);
        return new(PublishAsync(topic, [message], cancellationToken));
    }

    public ValueTask PublishBatchAsync(string topic, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(topic, "topic", nameof(topic));
        transport.CapabilitiesOf(topic).EnsureBatchFits(messages, topic);
        return messages.Count == 0 ? ValueTask.CompletedTask : new(PublishAsync(topic, messages, cancellationToken));
    }

    private async Task PublishAsync(string topic, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken)
    {
        TopologyProvisioner.EnsureNotFifoOnBus(topic);
        var entries = new EventBridgeEntry[messages.Count];
        var sizes = new WireMessage[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            entries[i] = EventBridgeEvents.ToEntry(messages[i], topic, bus, transport.Options.EventSource);

            // EventBridge counts the entry's strings (and 14 bytes for the time).
            var size = 14 + Encoding.UTF8.GetByteCount(entries[i].Detail) + Encoding.UTF8.GetByteCount(entries[i].DetailType) + Encoding.UTF8.GetByteCount(entries[i].Source);
            if (size > MaxEventSize)
            {
                throw new MessageTooLargeException(MaxEventSize, size, topic, messages[i].Id);
            }

            sizes[i] = new WireMessage("", [], size);
        }

        await BatchSend.SendAsync(messages, sizes, MaxEventSize, transport.Options.MaxErrorRetry, topic, async (indexes, ct) =>
        {
            var failures = await events.PutEventsAsync([.. indexes.Select(i => entries[i])], topic, ct).ConfigureAwait(false);

            // PutEvents reports no sender fault: an entry it refused may succeed when sent again.
            return (IReadOnlyList<BatchSend.EntryFailure>)failures.Select(f => new BatchSend.EntryFailure(indexes[f.Index], f.Code, f.Message, SenderFault: f.Code is "MalformedDetail" or "InvalidArgument")).ToList();
        }, cancellationToken).ConfigureAwait(false);
    }
}

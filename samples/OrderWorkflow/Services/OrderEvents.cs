using System.Collections.Concurrent;
using Messaging.Adapters;
using OrderWorkflow.Story;

namespace OrderWorkflow.Services;

/// <summary>
/// How the services announce what happened to an order: publish the event to a topic for whoever reacts, and
/// append the same envelope (same id) to the <c>order-events</c> stream for whoever replays history later.
/// </summary>
/// <remarks>
/// Two writes, so a crash between them could leave the stream without the event; a production service would write
/// both through an outbox. On a transport without <see cref="TransportCapabilities.Streams"/> only the publish happens.
/// </remarks>
internal sealed class OrderEvents(ITransport transport, MessageCodec codec, WorkflowNames names)
{
    private readonly ConcurrentDictionary<string, int> _appendedByType = new(StringComparer.Ordinal);

    public bool StreamsAvailable => transport.Capabilities.Streams;

    /// <summary>How many events of each type went to the stream so far.</summary>
    public IReadOnlyDictionary<string, int> AppendedByType => new SortedDictionary<string, int>(_appendedByType, StringComparer.Ordinal);

    public int AppendedTotal => _appendedByType.Values.Sum();

    /// <summary>An envelope for an order event: keyed by the order (ordering and stream partition), correlated to it,
    /// and caused by the message being handled, if any.</summary>
    public Envelope Create<T>(T message, string orderId, Envelope? causedBy)
        where T : notnull =>
        codec.Encode(message) with { Key = orderId, CorrelationId = orderId, CausationId = causedBy?.Id };

    /// <summary>Publishes an event to a topic and appends it to the order-events stream.</summary>
    public async Task<Envelope> PublishAsync<T>(string topic, T message, string orderId, Envelope? causedBy, CancellationToken cancellationToken)
        where T : notnull
    {
        var envelope = Create(message, orderId, causedBy);
        await transport.Publisher.PublishAsync(topic, envelope, cancellationToken).ConfigureAwait(false);
        await AppendAsync(envelope, cancellationToken).ConfigureAwait(false);
        return envelope;
    }

    /// <summary>Appends an event to the order-events stream only (nobody needs to react to it now).</summary>
    public async Task AppendAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        if (!StreamsAvailable)
        {
            return;
        }

        await transport.Stream.AppendAsync(names.OrderEventsStream, envelope, cancellationToken).ConfigureAwait(false);
        _appendedByType.AddOrUpdate(envelope.Type, 1, static (_, count) => count + 1);
    }
}

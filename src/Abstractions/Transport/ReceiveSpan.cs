using System.Diagnostics;

namespace Messaging.Adapters.Transport;

/// <summary>
/// The <c>receive</c> span of one request of a pulling receiver (kind <see cref="ActivityKind.Client"/>, named
/// <c>receive orders</c>), by the messaging semantic conventions: the broker's operation name
/// (<see cref="IPullingReceiver{TDelivery}.ReceiveOperationName"/>), the number of messages it brought
/// (<c>messaging.batch.message_count</c>) and a link to each message's creation context.
/// </summary>
/// <remarks>
/// <para>Recorded only for a request that brought messages, once it returned, with the request's start as its start:
/// an idle consumer long-polls all the time, and a span for every empty poll would bury the traces that matter. It is
/// the root of a trace of its own (a request serves messages of many traces); the process spans keep the creation
/// context as their parent, as the conventions recommend for a single message, so each message's trace stays one tree.</para>
/// <para>Push transports (AMQP, the in-memory broker's queues) have no receive span: the broker hands each message to the
/// consumer without a request, and the conventions instrument such a delivery with its process span only.</para>
/// </remarks>
internal static class ReceiveSpan
{
    /// <summary>When a request starts: its start time while somebody listens, else <see langword="null"/>.</summary>
    public static DateTimeOffset? Begin() => MessagingTelemetry.Source.HasListeners() ? DateTimeOffset.UtcNow : null;

    /// <summary>Records the span of a request that began at <paramref name="started"/> and brought <paramref name="batch"/>.</summary>
    public static void Record<TDelivery>(string system, string operationName, DateTimeOffset started, List<TDelivery> batch)
        where TDelivery : InboundDelivery
    {
        if (batch.Count == 0)
        {
            return;
        }

        var links = new List<ActivityLink>(batch.Count);
        foreach (var delivery in batch)
        {
            if (TraceContext.TryExtract(delivery.Message.Envelope, out var creation))
            {
                links.Add(new ActivityLink(creation));
            }
        }

        var first = batch[0].Message;
        using var span = MessagingTelemetry.Source.StartActivity(
            MessagingAttributes.Receive + " " + ConsumerTelemetry.DestinationOf(first), ActivityKind.Client, parentContext: default, tags: null, links, started);
        if (span is not { IsAllDataRequested: true })
        {
            return;
        }

        span.SetTag(MessagingAttributes.OperationType, MessagingAttributes.Receive);
        span.SetTag(MessagingAttributes.OperationName, operationName);
        ConsumerTelemetry.TagConsumer(span, system, first);
        span.SetTag(MessagingAttributes.BatchCount, batch.Count);
        if (batch.Count == 1)
        {
            span.SetTag(MessagingAttributes.MessageId, first.Envelope.Id);
        }
    }
}

using System.Diagnostics;

namespace Messaging.Adapters.Transport;

/// <summary>
/// The <c>settle</c> span of one delivery (kind <see cref="ActivityKind.Client"/>, named <c>ack orders</c>): the
/// engine carrying out the pipeline's outcome through the receiver, by the messaging semantic conventions.
/// </summary>
/// <remarks>
/// <para>Operation names follow the pipeline's outcomes, not each broker's verbs, because the engine settles for every
/// transport: <c>ack</c> (handled or filtered out), <c>nack</c> (released for redelivery: AMQP nack with requeue, SQS
/// visibility 0, a Kafka offset left uncommitted), <c>retry</c> (handed to the broker to deliver again after a delay)
/// and <c>dead_letter</c>. A retry or dead letter that fails is followed by the <c>nack</c> that releases the message
/// instead, each its own span, the failed one with <c>error.type</c>.</para>
/// <para>The process spans have ended when settlement begins (the pipeline may run several attempts), so, as the
/// conventions ask of a settlement made outside processing, the span links to the message's creation context; it also
/// takes that context as its parent, so that a trace shows where each message ended. A message without context starts
/// a trace of its own. The span is never the current activity while the receiver runs: a dead letter or retry the
/// receiver sends keeps the trace context the message carries.</para>
/// <para>Where a receiver batches settlements (<see cref="SettlementBatcher{T}"/>: SQS DeleteMessageBatch) each
/// delivery still has its own span, from the moment it was queued until its entry's outcome is known, failing with
/// that entry's error: a span per request would have to belong to many traces at once.</para>
/// </remarks>
internal static class SettleSpan
{
    /// <summary>Starts the span, or returns <see langword="null"/> (allocating nothing) while nobody listens.</summary>
    public static Activity? Start(string system, InboundDelivery delivery, HandlingOutcome outcome)
    {
        if (!MessagingTelemetry.Source.HasListeners())
        {
            return null;
        }

        var message = delivery.Message;
        var operation = outcome switch
        {
            HandlingOutcome.Acknowledge => MessagingAttributes.Ack,
            HandlingOutcome.RetryLater => MessagingAttributes.Retry,
            HandlingOutcome.DeadLetter => MessagingAttributes.DeadLetter,
            _ => MessagingAttributes.Nack,
        };
        var previous = Activity.Current;
        var span = TraceContext.StartInMessageTrace(operation + " " + ConsumerTelemetry.DestinationOf(message), ActivityKind.Client, message.Envelope);
        Activity.Current = previous;
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(MessagingAttributes.OperationType, MessagingAttributes.Settle);
            span.SetTag(MessagingAttributes.OperationName, operation);
            ConsumerTelemetry.TagConsumer(span, system, message);
            span.SetTag(MessagingAttributes.MessageId, message.Envelope.Id);
            delivery.AddSpanAttributes(span);
        }

        return span;
    }

    /// <summary>Ends the span; <paramref name="error"/> is what the receiver threw, if anything.</summary>
    public static void End(Activity? span, Exception? error)
    {
        if (span is null)
        {
            return;
        }

        if (error is not null)
        {
            span.SetTag(MessagingAttributes.ErrorType, error.GetType().FullName);
            span.SetStatus(ActivityStatusCode.Error, error.Message);
            span.AddException(error);
        }

        span.Dispose();
    }
}

using System.Diagnostics;

namespace Messaging.Adapters.Transport;

/// <summary>
/// The consumer side of the library's telemetry, for one <see cref="ConsumerEngine{TDelivery}"/>: a
/// <c>process &lt;destination&gt;</c> span (kind <see cref="ActivityKind.Consumer"/>) around every run of the handler,
/// continuing the producer's trace, and the consumed-messages, process-duration, retries, dead-letters and in-flight
/// metrics.
/// </summary>
/// <remarks>
/// <para>The process span's parent is the trace context the message carries (<see cref="MessagingTelemetry.TraceParentHeader"/>,
/// or a foreign CloudEvent's <c>ce-traceparent</c>), so one trace follows a message through the broker, its retries and
/// its dead letter; the span also links to that context, as the conventions ask of consumers. A message without a
/// (valid) context starts a new trace. Each attempt is a span of its own with <c>messaging.adapters.attempt</c>.</para>
/// <para>With nobody listening the handler is called directly: no activity, no allocation.</para>
/// </remarks>
internal sealed class ConsumerTelemetry(string system)
{
    /// <summary>The handler with a process span and the process metrics around each call.</summary>
    public MessageHandler Instrument(MessageHandler handler) =>
        (message, cancellationToken) => IsProcessObserved ? ProcessAsync(handler, message, cancellationToken) : handler(message, cancellationToken);

    /// <summary>Counts a message whose handling begins as in flight; returns whether it was counted, for <see cref="EndHandling"/>.</summary>
    public bool BeginHandling(ReceivedMessage message)
    {
        if (!MessagingInstruments.InFlight.Enabled)
        {
            return false;
        }

        MessagingInstruments.InFlight.Add(1, ConsumerTags(message));
        return true;
    }

    /// <summary>Ends what <see cref="BeginHandling"/> counted and counts the retries the pipeline decided on: the
    /// attempts it ran after the first, and a retry left to the broker.</summary>
    public void EndHandling(ReceivedMessage message, bool counted, HandlingResult result)
    {
        if (counted)
        {
            MessagingInstruments.InFlight.Add(-1, ConsumerTags(message));
        }

        if (!MessagingInstruments.Retries.Enabled)
        {
            return;
        }

        var retries = Math.Max(0, result.Attempts - message.Attempt) + (result.Outcome == HandlingOutcome.RetryLater ? 1 : 0);
        if (retries > 0)
        {
            MessagingInstruments.Retries.Add(retries, ConsumerTags(message));
        }
    }

    /// <summary>Counts a message the broker took into the dead-letter queue.</summary>
    public void DeadLettered(ReceivedMessage message)
    {
        if (MessagingInstruments.DeadLetters.Enabled)
        {
            MessagingInstruments.DeadLetters.Add(1, ConsumerTags(message));
        }
    }

    private static bool IsProcessObserved =>
        MessagingTelemetry.Source.HasListeners() || MessagingInstruments.ProcessDuration.Enabled || MessagingInstruments.ConsumedMessages.Enabled;

    /// <summary>The destination as the conventions name it on the consumer side: the topic of a subscription, else the
    /// queue or stream read.</summary>
    internal static string DestinationOf(ReceivedMessage message) => message.Topic ?? message.Source;

    internal static string? ConsumerGroupOf(ReceivedMessage message) => message.Subscription ?? message.ReaderGroup;

    /// <summary>The attributes every consumer span (receive, process, settle) carries: the system, the destination
    /// read, the subscription and the consumer group.</summary>
    internal static void TagConsumer(Activity activity, string system, ReceivedMessage message)
    {
        activity.SetTag(MessagingAttributes.System, system);
        activity.SetTag(MessagingAttributes.DestinationName, DestinationOf(message));
        if (message.Topic is not null)
        {
            activity.SetTag(MessagingAttributes.SubscriptionName, message.Source);
        }

        if (ConsumerGroupOf(message) is { } group)
        {
            activity.SetTag(MessagingAttributes.ConsumerGroup, group);
        }
    }

    private async ValueTask ProcessAsync(MessageHandler handler, ReceivedMessage message, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var activity = StartProcessSpan(message);
        string? errorType = null;
        try
        {
            await handler(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            errorType = ex.GetType().FullName;
            if (activity is not null)
            {
                activity.SetTag(MessagingAttributes.ErrorType, errorType);
                activity.SetStatus(ActivityStatusCode.Error, ex.Message);
                activity.AddException(ex);
            }

            throw;
        }
        finally
        {
            activity?.Dispose();
            RecordProcess(message, started, errorType);
        }
    }

    private Activity? StartProcessSpan(ReceivedMessage message)
    {
        if (!MessagingTelemetry.Source.HasListeners())
        {
            return null;
        }

        // Called from ProcessAsync, whose change to the current activity does not reach the engine.
        var activity = TraceContext.StartInMessageTrace("process " + DestinationOf(message), ActivityKind.Consumer, message.Envelope);
        if (activity is not { IsAllDataRequested: true })
        {
            return activity;
        }

        activity.SetTag(MessagingAttributes.OperationType, MessagingAttributes.Process);
        activity.SetTag(MessagingAttributes.OperationName, MessagingAttributes.Process);
        TagConsumer(activity, system, message);
        var envelope = message.Envelope;
        activity.SetTag(MessagingAttributes.MessageId, envelope.Id);
        if (envelope.CorrelationId is { } correlation)
        {
            activity.SetTag(MessagingAttributes.ConversationId, correlation);
        }

        activity.SetTag(MessagingAttributes.BodySize, envelope.Body.Length);
        activity.SetTag(MessagingAttributes.Attempt, message.Attempt);
        if (message.StreamPartition is { } partition)
        {
            activity.SetTag(MessagingAttributes.PartitionId, partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (system == MessagingSystems.Kafka)
        {
            if (message.StreamOffset is { } offset)
            {
                activity.SetTag(MessagingAttributes.KafkaOffset, offset);
            }

            if (envelope.Key is { } key)
            {
                activity.SetTag(MessagingAttributes.KafkaKey, key);
            }
        }

        message.Delivery?.AddSpanAttributes(activity);
        return activity;
    }

    private void RecordProcess(ReceivedMessage message, long started, string? errorType)
    {
        if (!MessagingInstruments.ProcessDuration.Enabled && !MessagingInstruments.ConsumedMessages.Enabled)
        {
            return;
        }

        var tags = ConsumerTags(message);
        tags.Add(MessagingAttributes.OperationName, MessagingAttributes.Process);
        if (errorType is not null)
        {
            tags.Add(MessagingAttributes.ErrorType, errorType);
        }

        MessagingInstruments.ConsumedMessages.Add(1, tags);
        tags.Add(MessagingAttributes.OperationType, MessagingAttributes.Process);
        MessagingInstruments.ProcessDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
    }

    private TagList ConsumerTags(ReceivedMessage message)
    {
        var tags = new TagList
        {
            { MessagingAttributes.System, system },
            { MessagingAttributes.DestinationName, DestinationOf(message) },
        };
        if (ConsumerGroupOf(message) is { } group)
        {
            tags.Add(MessagingAttributes.ConsumerGroup, group);
        }

        return tags;
    }
}

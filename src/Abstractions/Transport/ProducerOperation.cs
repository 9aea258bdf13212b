using System.Diagnostics;

namespace Messaging.Adapters.Transport;

/// <summary>
/// One send, publish or append as telemetry sees it: the producer span (<c>publish orders</c>, kind
/// <see cref="ActivityKind.Producer"/>) with the messaging attributes, the trace context written into the messages, and
/// the sent-messages and operation-duration metrics.
/// </summary>
/// <remarks>Created only when <see cref="IsObserved"/>; with nobody listening the decorators call the transport
/// directly and nothing here runs. Started inside an async method, so that the producer span is
/// <see cref="Activity.Current"/> for the send only and the caller's current activity is unchanged afterwards.</remarks>
internal readonly struct ProducerOperation
{
    private readonly Activity? _activity;
    private readonly long _started;
    private readonly string _system;
    private readonly string _operation;
    private readonly string _destination;
    private readonly int _count;

    private ProducerOperation(Activity? activity, string system, string operation, string destination, int count)
    {
        _activity = activity;
        _started = Stopwatch.GetTimestamp();
        _system = system;
        _operation = operation;
        _destination = destination;
        _count = count;
    }

    /// <summary>Whether anything would be recorded or propagated: a listener on the source or on a producer metric, or
    /// a current activity (an incoming request's, a handler's) whose context the message should carry on.</summary>
    public static bool IsObserved =>
        MessagingTelemetry.Source.HasListeners()
        || Activity.Current is not null
        || MessagingInstruments.OperationDuration.Enabled
        || MessagingInstruments.SentMessages.Enabled;

    /// <summary>Starts the operation for one message.</summary>
    public static ProducerOperation Start(string system, string operation, string destination, Envelope message)
    {
        var activity = StartActivity(system, operation, destination);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(MessagingAttributes.MessageId, message.Id);
            if (message.CorrelationId is { } correlation)
            {
                activity.SetTag(MessagingAttributes.ConversationId, correlation);
            }

            activity.SetTag(MessagingAttributes.BodySize, message.Body.Length);
            if (system == MessagingSystems.Kafka && message.Key is { } key)
            {
                activity.SetTag(MessagingAttributes.KafkaKey, key);
            }
        }

        return new ProducerOperation(activity, system, operation, destination, 1);
    }

    /// <summary>Starts the operation for a batch: one span for the call, whose context every message carries.</summary>
    public static ProducerOperation StartBatch(string system, string operation, string destination, IReadOnlyList<Envelope> messages)
    {
        var activity = StartActivity(system, operation, destination);
        activity?.SetTag(MessagingAttributes.BatchCount, messages.Count);
        return new ProducerOperation(activity, system, operation, destination, messages.Count);
    }

    /// <summary>The message with this operation's trace context (or the current activity's, when the source has no
    /// listener) in its headers.</summary>
    public Envelope Inject(Envelope message) => TraceContext.Inject(message, _activity ?? Activity.Current);

    /// <summary>Every message of a batch with this operation's trace context.</summary>
    public IReadOnlyList<Envelope> Inject(IReadOnlyList<Envelope> messages)
    {
        var context = _activity ?? Activity.Current;
        if (context is null)
        {
            return messages;
        }

        var injected = new Envelope[messages.Count];
        for (var i = 0; i < injected.Length; i++)
        {
            // A null entry is the transport's to refuse, with its own message.
            injected[i] = messages[i] is { } message ? TraceContext.Inject(message, context) : null!;
        }

        return injected;
    }

    /// <summary>Runs the transport's send and completes the operation with its outcome.</summary>
    /// <param name="send">The send; it may throw before returning its task (argument checks), which counts the same.</param>
    public async ValueTask RunAsync(Func<ValueTask> send)
    {
        try
        {
            await send().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Complete(ex);
            throw;
        }

        Complete(null);
    }

    /// <summary>Ends the span and records the metrics; <paramref name="error"/> is what the transport threw, if anything.</summary>
    private void Complete(Exception? error)
    {
        var errorType = error?.GetType().FullName;
        if (_activity is not null)
        {
            if (error is not null)
            {
                _activity.SetTag(MessagingAttributes.ErrorType, errorType);
                _activity.SetStatus(ActivityStatusCode.Error, error.Message);
                _activity.AddException(error);
            }

            _activity.Dispose();
        }

        if (!MessagingInstruments.SentMessages.Enabled && !MessagingInstruments.OperationDuration.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { MessagingAttributes.System, _system },
            { MessagingAttributes.OperationName, _operation },
            { MessagingAttributes.DestinationName, _destination },
        };
        if (errorType is not null)
        {
            tags.Add(MessagingAttributes.ErrorType, errorType);
        }

        MessagingInstruments.SentMessages.Add(_count, tags);
        tags.Add(MessagingAttributes.OperationType, MessagingAttributes.Send);
        MessagingInstruments.OperationDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, tags);
    }

    private static Activity? StartActivity(string system, string operation, string destination)
    {
        if (!MessagingTelemetry.Source.HasListeners())
        {
            return null;
        }

        var activity = MessagingTelemetry.Source.StartActivity(operation + " " + destination, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(MessagingAttributes.System, system);
            activity.SetTag(MessagingAttributes.OperationType, MessagingAttributes.Send);
            activity.SetTag(MessagingAttributes.OperationName, operation);
            activity.SetTag(MessagingAttributes.DestinationName, destination);
        }

        return activity;
    }
}

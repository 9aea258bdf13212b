using System.Diagnostics;

namespace Messaging.Adapters;

/// <summary>Writes and reads the W3C trace context an envelope carries in <see cref="MessagingTelemetry.TraceParentHeader"/>
/// and <see cref="MessagingTelemetry.TraceStateHeader"/>.</summary>
internal static class TraceContext
{
    /// <summary>The envelope with the context of <paramref name="activity"/> in its headers (replacing a context it
    /// carried); the same envelope when there is no activity or the activity has no W3C id.</summary>
    public static Envelope Inject(Envelope message, Activity? activity)
    {
        if (activity is not { IdFormat: ActivityIdFormat.W3C, Id: { } traceParent })
        {
            return message;
        }

        var traceState = activity.TraceStateString;
        var headers = message.Headers;
        if (headers.TryGetValue(MessagingTelemetry.TraceParentHeader, out var carried) && carried == traceParent
            && (headers.TryGetValue(MessagingTelemetry.TraceStateHeader, out var carriedState) ? carriedState == traceState : traceState is null))
        {
            return message;
        }

        var updated = new Dictionary<string, string>(headers, StringComparer.Ordinal) { [MessagingTelemetry.TraceParentHeader] = traceParent };
        if (string.IsNullOrEmpty(traceState))
        {
            // A state left from an earlier hop would belong to another trace.
            updated.Remove(MessagingTelemetry.TraceStateHeader);
        }
        else
        {
            updated[MessagingTelemetry.TraceStateHeader] = traceState;
        }

        return message with { Headers = updated };
    }

    /// <summary>Reads the context a message carries: our header, or the CloudEvents extension attribute of a foreign
    /// event (<c>ce-traceparent</c>). A missing or malformed context is no context: the message starts a new trace.</summary>
    public static bool TryExtract(Envelope message, out ActivityContext context)
    {
        var headers = message.Headers;
        if (headers.Count == 0)
        {
            context = default;
            return false;
        }

        if (headers.TryGetValue(MessagingTelemetry.TraceParentHeader, out var traceParent))
        {
            headers.TryGetValue(MessagingTelemetry.TraceStateHeader, out var traceState);
            return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out context);
        }

        if (headers.TryGetValue(CloudEventHeaders.Prefix + MessagingTelemetry.TraceParentHeader, out traceParent))
        {
            headers.TryGetValue(CloudEventHeaders.Prefix + MessagingTelemetry.TraceStateHeader, out var traceState);
            return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out context);
        }

        context = default;
        return false;
    }

    /// <summary>Starts a consumer-side span of a message in the message's trace: its parent is the context the message
    /// carries, and it links to that context as the conventions ask; a message without (valid) context starts a trace
    /// of its own. Leaves the span as <see cref="Activity.Current"/>, as any start does.</summary>
    public static Activity? StartInMessageTrace(string name, ActivityKind kind, Envelope message)
    {
        ActivityLink[]? links = null;
        if (TryExtract(message, out var creation))
        {
            links = [new ActivityLink(creation)];
        }
        else
        {
            // Whatever runs around the engine's worker is not this message's cause.
            Activity.Current = null;
        }

        return MessagingTelemetry.Source.StartActivity(name, kind, creation, tags: null, links);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Messaging.Adapters;

namespace OrderWorkflow.Story;

/// <summary>
/// Listens to the library's spans (the <see cref="MessagingTelemetry.Name"/> ActivitySource, as OpenTelemetry's
/// <c>AddSource</c> would) and prints one message's trace as a tree: the shop's publish, every service's handling of
/// it, what those handlers published in turn, and who handled that, across topics and the broker.
/// </summary>
internal sealed class TraceRecorder : IDisposable
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener;

    public TraceRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MessagingTelemetry.Name,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The trace the producer span of <paramref name="messageId"/> belongs to, once it holds a process span
    /// of every one of <paramref name="consumerGroups"/> (handlers end their spans just after they return), or what
    /// it holds after a few seconds.</summary>
    public async Task<IReadOnlyList<Activity>> TraceOfAsync(string messageId, IReadOnlyCollection<string> consumerGroups, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var trace = Trace(messageId);
            if (DateTime.UtcNow > deadline || consumerGroups.All(group => trace.Any(span => Group(span) == group)))
            {
                return trace;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The consumer group (the subscription) a process span ran for.</summary>
    public static string? Group(Activity span) => span.GetTagItem("messaging.consumer.group.name") as string;

    /// <summary>Prints the trace as a tree, children under their parent, in the order they started.</summary>
    public static void Print(IReadOnlyList<Activity> trace, Narrator narrator)
    {
        var root = trace.FirstOrDefault(span => trace.All(other => other.SpanId != span.ParentSpanId));
        if (root is null)
        {
            return;
        }

        narrator.Line($"trace {root.TraceId} ({trace.Count} spans of the {MessagingTelemetry.Name} ActivitySource):");
        PrintNode(root, "", "", trace, narrator);
    }

    public void Dispose() => _listener.Dispose();

    private List<Activity> Trace(string messageId)
    {
        var spans = _spans.ToArray();
        var producer = spans.FirstOrDefault(span => span.Kind == ActivityKind.Producer && (span.GetTagItem("messaging.message.id") as string) == messageId);
        return producer is null ? [] : [.. spans.Where(span => span.TraceId == producer.TraceId).OrderBy(span => span.StartTimeUtc)];
    }

    private static void PrintNode(Activity span, string lead, string indent, IReadOnlyList<Activity> trace, Narrator narrator)
    {
        var group = Group(span) is { } name ? $" [{name}]" : "";
        var attempt = span.GetTagItem("messaging.adapters.attempt") is { } a && Convert.ToInt32(a, CultureInfo.InvariantCulture) > 1 ? $" attempt {a}" : "";
        var failed = span.GetTagItem("error.type") is { } error ? $" failed: {error}" : "";
        narrator.Line($"{lead}{span.DisplayName}{group}{attempt}{failed}  {span.Duration.TotalMilliseconds:0.0} ms");
        var children = trace.Where(child => child.ParentSpanId == span.SpanId).ToList();
        for (var i = 0; i < children.Count; i++)
        {
            var last = i == children.Count - 1;
            PrintNode(children[i], indent + (last ? "└─ " : "├─ "), indent + (last ? "   " : "│  "), trace, narrator);
        }
    }
}

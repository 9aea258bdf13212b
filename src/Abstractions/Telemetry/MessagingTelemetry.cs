using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Messaging.Adapters;

/// <summary>
/// The names under which Messaging.Adapters reports traces and metrics, by the OpenTelemetry messaging semantic
/// conventions: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named <see cref="Name"/>.
/// </summary>
/// <remarks>
/// <para>Subscribe with OpenTelemetry's <c>AddSource(MessagingTelemetry.Name)</c> and <c>AddMeter(MessagingTelemetry.Name)</c>,
/// or with any <see cref="ActivityListener"/> / <see cref="MeterListener"/>. Nothing is recorded, no activity is created
/// and no trace header is written while nobody listens.</para>
/// <para>Every transport writes the W3C trace context of the sending span into the message as the headers
/// <see cref="TraceParentHeader"/> and <see cref="TraceStateHeader"/> (the names of the CloudEvents distributed-tracing
/// extension), and every consumer continues that trace: the process span's parent is the sender's span, and it links
/// to it as well.</para>
/// </remarks>
public static class MessagingTelemetry
{
    /// <summary>The name of the library's <see cref="ActivitySource"/> and <see cref="Meter"/>.</summary>
    public const string Name = "Messaging.Adapters";

    /// <summary>The envelope header that carries the W3C <c>traceparent</c> of the span that sent the message.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>The envelope header that carries the W3C <c>tracestate</c> of the span that sent the message, when it has one.</summary>
    public const string TraceStateHeader = "tracestate";

    internal static ActivitySource Source { get; } = new(Name, typeof(MessagingTelemetry).Assembly.GetName().Version?.ToString());

    internal static Meter Meter { get; } = new(Name, typeof(MessagingTelemetry).Assembly.GetName().Version?.ToString());
}

using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Messaging.Adapters.Benchmarks.Shared;

/// <summary>
/// What an application with OpenTelemetry tracing and metrics on attaches to the library, without an exporter: every
/// span of the <see cref="MessagingTelemetry.Name"/> source recorded and every measurement of its meter taken, so a
/// run with it beside a run without it shows what telemetry costs per message.
/// </summary>
internal sealed class TelemetryListener : IDisposable
{
    private readonly ActivityListener _spans;
    private readonly MeterListener _metrics = new();
    private long _spanCount;
    private long _measurementCount;

    public TelemetryListener()
    {
        _spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MessagingTelemetry.Name,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ => Interlocked.Increment(ref _spanCount),
        };
        ActivitySource.AddActivityListener(_spans);
        _metrics.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MessagingTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _metrics.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref _measurementCount));
        _metrics.SetMeasurementEventCallback<int>((_, _, _, _) => Interlocked.Increment(ref _measurementCount));
        _metrics.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _measurementCount));
        _metrics.Start();
    }

    /// <summary>Spans recorded so far.</summary>
    public long Spans => Interlocked.Read(ref _spanCount);

    /// <summary>Measurements taken so far.</summary>
    public long Measurements => Interlocked.Read(ref _measurementCount);

    public void Dispose()
    {
        _spans.Dispose();
        _metrics.Dispose();
    }
}

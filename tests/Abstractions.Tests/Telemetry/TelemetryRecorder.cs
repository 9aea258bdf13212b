using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Messaging.Adapters.Tests.Telemetry;

/// <summary>Collects the library's finished spans and its measurements while it lives. Listeners are process-wide, so
/// a test reads only what concerns its own destinations (see <see cref="SpansOf"/>).</summary>
internal sealed class TelemetryRecorder : IDisposable
{
    private readonly ActivityListener? _spans;
    private readonly MeterListener? _meters;
    private readonly ConcurrentQueue<Activity> _finished = new();
    private readonly List<(Func<Activity, bool> Match, int Count, TaskCompletionSource Signal)> _waiters = [];
    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();

    public TelemetryRecorder(bool spans = true, bool metrics = false)
    {
        if (spans)
        {
            _spans = new ActivityListener
            {
                ShouldListenTo = source => source.Name == MessagingTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = Finished,
            };
            ActivitySource.AddActivityListener(_spans);
        }

        if (metrics)
        {
            _meters = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == MessagingTelemetry.Name)
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
            _meters.Start();
        }
    }

    public IReadOnlyList<Activity> SpansOf(string destination) =>
        _finished.Where(a => Equals(a.GetTagItem("messaging.destination.name"), destination)).ToList();

    /// <summary>Waits until <paramref name="count"/> finished spans match; the spans are then in <see cref="SpansOf"/>.</summary>
    public async Task WaitForSpansAsync(Func<Activity, bool> match, int count, CancellationToken cancellationToken)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_finished.Count(match) >= count)
            {
                return;
            }

            _waiters.Add((match, count, signal));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await signal.Task.WaitAsync(timeout.Token);
    }

    public IReadOnlyList<(double Value, Dictionary<string, object?> Tags)> Measurements(string instrument, string destination) =>
        _measurements.Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault("messaging.destination.name"), destination))
            .Select(m => (m.Value, m.Tags)).ToList();

    public void Dispose()
    {
        _spans?.Dispose();
        _meters?.Dispose();
    }

    private void Finished(Activity activity)
    {
        lock (_gate)
        {
            _finished.Enqueue(activity);
            foreach (var waiter in _waiters.Where(w => _finished.Count(w.Match) >= w.Count).ToList())
            {
                waiter.Signal.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, tagValue) in tags)
        {
            copy[key] = tagValue;
        }

        _measurements.Enqueue((instrument.Name, value, copy));
    }
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Records the library's measurements whose <c>messaging.destination.name</c> is one of a scenario's destinations (the
/// listener is process-wide; measuring changes nothing in the messages, so other scenarios are unaffected).
/// </summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener;
    private readonly HashSet<string> _destinations;
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();

    /// <summary>Starts listening for measurements of the given destinations.</summary>
    /// <param name="destinations">The scenario's topics, queues and streams.</param>
    public MetricRecorder(params string[] destinations)
    {
        _destinations = new HashSet<string>(destinations, StringComparer.Ordinal);
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == MessagingTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The measurements of one instrument for one destination.</summary>
    /// <param name="instrument">The instrument's name.</param>
    /// <param name="destination">The destination.</param>
    /// <returns>Each value with its tags, in the order recorded.</returns>
    public IReadOnlyList<(double Value, Dictionary<string, object?> Tags)> Of(string instrument, string destination) =>
        _measurements
            .Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault("messaging.destination.name"), destination))
            .Select(m => (m.Value, m.Tags))
            .ToList();

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, tagValue) in tags)
        {
            copy[key] = tagValue;
        }

        if (copy.GetValueOrDefault("messaging.destination.name") is string destination && _destinations.Contains(destination))
        {
            _measurements.Enqueue((instrument.Name, value, copy));
        }
    }
}

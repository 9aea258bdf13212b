using System.Collections.Concurrent;
using System.Diagnostics.Metrics;


namespace Messaging.Adapters.Transport;

/// <summary>
/// Consumer lag, for brokers that know it: one observable gauge, <c>messaging.adapters.consumer.lag</c> on the
/// library's meter (<see cref="MessagingTelemetry.Name"/>), fed by every consumer that registers what it observes
/// (Kafka: per partition, the partition's end offset less the group's position).
/// </summary>
public static class ConsumerLag
{
    /// <summary>The gauge's name.</summary>
    public const string InstrumentName = "messaging.adapters.consumer.lag";

    private static readonly ConcurrentDictionary<object, Func<IEnumerable<Measurement<long>>>> Sources = new();

    private static readonly ObservableGauge<long> Gauge = MessagingTelemetry.Meter.CreateObservableGauge(
        InstrumentName,
        Observe,
        "{message}",
        "Messages a consumer has not finished yet that its broker already holds, per partition where the broker has partitions.");

    /// <summary>Adds a consumer's measurements to the gauge until the returned registration is disposed.</summary>
    /// <param name="observe">Called when the gauge is read (by a metrics exporter's collection): cheap, from what the
    /// consumer already knows, never a round trip to the broker.</param>
    /// <returns>Dispose it when the consumer ends.</returns>
    public static IDisposable Register(Func<IEnumerable<Measurement<long>>> observe)
    {
        ArgumentNullException.ThrowIfNull(observe);
        _ = Gauge;
        var key = new object();
        Sources[key] = observe;
        return new Registration(key);
    }

    private static IEnumerable<Measurement<long>> Observe() => Sources.Values.SelectMany(source => source()).ToList();

    private sealed class Registration(object key) : IDisposable
    {
        public void Dispose() => Sources.TryRemove(key, out _);
    }
}

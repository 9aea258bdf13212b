using System.Diagnostics.Metrics;

namespace Messaging.Adapters;

/// <summary>
/// The library's metrics, on <see cref="MessagingTelemetry.Meter"/>: the four of the messaging semantic conventions and
/// three that operators of consumers ask for (retries, dead letters, messages being handled).
/// </summary>
internal static class MessagingInstruments
{
    // The conventions' recommended boundaries for messaging durations, in seconds.
    private static readonly InstrumentAdvice<double> DurationBuckets = new()
    {
        HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    };

    public static Counter<long> SentMessages { get; } = MessagingTelemetry.Meter.CreateCounter<long>(
        "messaging.client.sent.messages", "{message}", "Number of messages a producer attempted to send to the broker.");

    public static Counter<long> ConsumedMessages { get; } = MessagingTelemetry.Meter.CreateCounter<long>(
        "messaging.client.consumed.messages", "{message}", "Number of messages delivered to the application's handler (each attempt counts).");

    public static Histogram<double> OperationDuration { get; } = MessagingTelemetry.Meter.CreateHistogram(
        "messaging.client.operation.duration", "s", "Duration of a send, publish or append, until the broker confirmed it.", tags: null, advice: DurationBuckets);

    public static Histogram<double> ProcessDuration { get; } = MessagingTelemetry.Meter.CreateHistogram(
        "messaging.process.duration", "s", "Duration of one run of the application's handler.", tags: null, advice: DurationBuckets);

    public static Counter<long> Retries { get; } = MessagingTelemetry.Meter.CreateCounter<long>(
        "messaging.adapters.consumer.retries", "{retry}", "Number of handler failures that the retry policy answered with another attempt.");

    public static Counter<long> DeadLetters { get; } = MessagingTelemetry.Meter.CreateCounter<long>(
        "messaging.adapters.consumer.dead_letters", "{message}", "Number of messages moved to a dead-letter queue.");

    public static UpDownCounter<long> InFlight { get; } = MessagingTelemetry.Meter.CreateUpDownCounter<long>(
        "messaging.adapters.consumer.in_flight", "{message}", "Number of messages whose handling (with its immediate and held retries) has begun and not ended.");
}

using Confluent.Kafka;
using Messaging.Adapters.Kafka.Health;
using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.Kafka.Publishing;

/// <summary>
/// The transport's one idempotent, acks=all producer. A send hands every message to librdkafka at once
/// (<c>Produce</c> with a delivery handler, pipelined) and completes when every delivery report arrived.
/// </summary>
/// <remarks>A message whose delivery report is an error is reported as <see cref="TransportUnavailableException"/>
/// (for one message) or <see cref="BatchPublishException"/> (for a batch): its outcome is unknown when the report
/// says it was possibly persisted, and it was not stored otherwise; either way a retry can duplicate but never lose.</remarks>
internal sealed partial class KafkaProducer : IDisposable
{
    private readonly Lazy<IProducer<string?, byte[]>> _producer;
    private readonly string _source;
    private readonly ILogger _logger;

    /// <summary>The client's name in <see cref="BrokerReachability"/>.</summary>
    private const string ClientName = "producer";

    public KafkaProducer(ProducerConfig config, string cloudEventsSource, BrokerReachability reachability, ILogger logger)
    {
        _source = cloudEventsSource;
        _logger = logger;
        config.StatisticsIntervalMs ??= BrokerReachability.StatisticsInterval;
        _producer = new(() => new ProducerBuilder<string?, byte[]>(config)
            .SetErrorHandler((_, error) =>
            {
                reachability.OnError(ClientName, error);
                LogClientError(_logger, error.Code, error.Reason);
            })
            .SetStatisticsHandler((_, statistics) => reachability.OnStatistics(ClientName, statistics))
            .SetLogHandler((_, message) => LogClientMessage(_logger, message.Facility, message.Message))
            .Build());
    }

    /// <summary>The Confluent.Kafka producer: the escape hatch to the native client.</summary>
    public IProducer<string?, byte[]> Client => _producer.Value;

    /// <summary>Sends messages and waits for every delivery report.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="messages">The messages, in order.</param>
    /// <param name="batch">Whether this is a batch call (failures are <see cref="BatchPublishException"/>).</param>
    /// <param name="keylessPartition">The partition for messages without a key, or <see langword="null"/> for the
    /// partitioner's choice (a stream's batch stays together, in order, in one partition).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task SendAsync(string topic, IReadOnlyList<Envelope> messages, bool batch, int? keylessPartition, CancellationToken cancellationToken)
    {
        var producer = _producer.Value;
        var reports = new Task<DeliveryReport<string?, byte[]>>[messages.Count];
        var keyless = keylessPartition is { } p ? new TopicPartition(topic, p) : null;
        for (var i = 0; i < messages.Count; i++)
        {
            var destination = messages[i].Key is null && keyless is not null ? keyless : new TopicPartition(topic, Partition.Any);
            reports[i] = ProduceAsync(producer, destination, KafkaEnvelope.ToMessage(messages[i], _source), cancellationToken);
        }

        List<string>? unconfirmed = null;
        Exception? firstFailure = null;
        for (var i = 0; i < reports.Length; i++)
        {
            try
            {
                var report = await reports[i].WaitAsync(cancellationToken).ConfigureAwait(false);
                if (report.Error.IsError)
                {
                    throw Failure(topic, messages[i].Id, report.Error, report.Status);
                }
            }
            catch (TransportUnavailableException ex) when (batch)
            {
                (unconfirmed ??= []).Add(messages[i].Id);
                firstFailure ??= ex;
            }
        }

        if (unconfirmed is not null)
        {
            throw new BatchPublishException(topic, unconfirmed, firstFailure!);
        }
    }

    public void Dispose()
    {
        if (_producer.IsValueCreated)
        {
            // Delivery reports of messages still queued arrive (as errors if they cannot be sent) before the handle goes.
            _producer.Value.Flush(TimeSpan.FromSeconds(5));
            _producer.Value.Dispose();
        }
    }

    private static Task<DeliveryReport<string?, byte[]>> ProduceAsync(IProducer<string?, byte[]> producer, TopicPartition topic, Message<string?, byte[]> message, CancellationToken cancellationToken)
    {
        var report = new TaskCompletionSource<DeliveryReport<string?, byte[]>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = ProduceWhenQueuedAsync(producer, topic, message, report, cancellationToken);
        return report.Task;
    }

    /// <summary>Hands the message to librdkafka; while its local queue is full, waits for room instead of failing.</summary>
    private static async Task ProduceWhenQueuedAsync(IProducer<string?, byte[]> producer, TopicPartition topic, Message<string?, byte[]> message, TaskCompletionSource<DeliveryReport<string?, byte[]>> report, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, message, r => report.TrySetResult(r));
                return;
            }
            catch (ProduceException<string?, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                try
                {
                    await Task.Delay(5, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    report.TrySetCanceled(cancellationToken);
                    return;
                }
            }
            catch (Exception ex) when (ex is ProduceException<string?, byte[]> or KafkaException or ObjectDisposedException)
            {
                var error = (ex as KafkaException)?.Error ?? new Error(ErrorCode.Local_Destroy);
                report.TrySetException(new TransportUnavailableException($"Kafka did not take the message for topic '{topic.Topic}': {error.Reason} ({error.Code}). Nothing was sent.", isTransient: !error.IsFatal, ex));
                return;
            }
        }
    }

    private static TransportUnavailableException Failure(string topic, string id, Error error, PersistenceStatus status) =>
        new(status == PersistenceStatus.NotPersisted
                ? $"Kafka did not store message {id} for topic '{topic}': {error.Reason} ({error.Code})."
                : $"The outcome of message {id} for topic '{topic}' is unknown: {error.Reason} ({error.Code}); it may have been stored.",
            isTransient: !error.IsFatal,
            new KafkaException(error));

    [LoggerMessage(EventId = 1600, Level = LogLevel.Warning, Message = "Kafka producer error {Code}: {Reason}")]
    private static partial void LogClientError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Debug, Message = "librdkafka {Facility}: {Message}")]
    private static partial void LogClientMessage(ILogger logger, string facility, string message);
}

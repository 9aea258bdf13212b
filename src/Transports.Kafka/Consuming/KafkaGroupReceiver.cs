using System.Collections.Concurrent;
using Confluent.Kafka;
using Messaging.Adapters.Kafka.Health;
using Messaging.Adapters.Kafka.Publishing;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.Kafka.Consuming;

/// <summary>
/// One member of a consumer group on the consumer engine: a poll thread owns the Confluent consumer, hands the engine
/// at most the credit it asks for, and keeps serving the group (rebalances) while the engine has no credit, with its
/// partitions paused. Every assigned partition is a <see cref="DeliveryScope"/>; finished offsets become due for
/// commit only contiguously (<see cref="PartitionOffsets"/>) and committed by the poll thread, so no commit passes an
/// unfinished message.
/// </summary>
/// <remarks>
/// <para>On revoke, the partition's running handlers get <see cref="KafkaTransportOptions.RevokeTimeout"/> to finish,
/// then are cancelled; what finished is committed before the partition goes; what did not is read again by the
/// partition's next owner. A lost partition (the session expired) commits nothing.</para>
/// <para>Confluent.Kafka calls the rebalance handlers synchronously on the poll thread and the partitions go when they
/// return, so the revoke handler waits there (on this consumer's own thread, never a pool thread).</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The poll thread owns the clients and disposes them when it ends (CloseAsync waits for that).")]
internal sealed partial class KafkaGroupReceiver(KafkaTransport transport, GroupReading reading, IReadOnlyDictionary<TopicPartition, Offset>? streamStarts)
    : IPullingReceiver<KafkaDelivery>
{
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(100);

    // How many fetched messages may wait on the poll thread while the engine has no credit before the partitions are
    // paused. Pausing at once drops librdkafka's prefetched messages, and each resume then waits for a new fetch: one
    // fetch round trip per in-flight window, which made a plain produce+consume run several times slower than raw.
    private const int StashLimit = 2048;

    private readonly Dictionary<TopicPartition, AssignedPartition> _assigned = [];
    private readonly Queue<ConsumeResult<string?, byte[]>> _stash = new();
    private readonly ConcurrentQueue<KafkaDelivery> _redeliveries = new();
    private readonly PollSignal _wake = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstAssignment = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger = transport.ConsumerLogger;
    private IDeliverySink<KafkaDelivery>? _sink;
    private readonly CompanionOffsets _delivered = new(transport.ClientSettings, "delivered", reading.GroupId);
    private readonly CompanionOffsets _finished = new(transport.ClientSettings, "finished", reading.GroupId);
    private readonly CompanionOffsets _committed = new(transport.ClientSettings, purpose: null, reading.GroupId);
    private IConsumer<string?, byte[]>? _consumer;
    private PullRequest? _request;
    private volatile bool _stopReceiving;
    private volatile bool _closing;
    // Whether the assigned partitions are paused; null after an assignment, whose pause state librdkafka may carry over.
    private bool? _paused;
    private bool _assignedBefore;
    private long _lastCommit = Environment.TickCount64;
    // Per partition, the partition's end offset less the group's position, refreshed by the poll thread at each
    // commit interval and read by the ConsumerLag gauge from any thread.
    private readonly ConcurrentDictionary<TopicPartition, long> _lag = new();
    private IDisposable? _lagRegistration;
    private readonly long _commitInterval = (long)transport.Options.CommitInterval.TotalMilliseconds;

    /// <summary>Kafka's consumers poll; what one engine request returns was fetched by librdkafka beforehand.</summary>
    public string ReceiveOperationName => "poll";

    /// <summary>This consumer's name in <see cref="BrokerReachability"/>: several consumers of a group each have theirs.</summary>
    private string ReachabilityName { get; } = "group " + reading.GroupId + " consumer " + Guid.NewGuid().ToString("N")[..6];

    /// <summary>Joins the group and returns once the member has its first assignment (possibly empty: more members
    /// than partitions), or after twice <see cref="KafkaTransportOptions.SessionTimeout"/> if the group is still
    /// rebalancing (a broker completes a rebalance once every member rejoined, within a heartbeat; librdkafka's mock
    /// cluster only after the session timeout less a second).
    /// Returning earlier would let a first consumer of a queue read what was sent before the next ones, started right
    /// after it, have any partition.</summary>
    public async Task StartAsync(IDeliverySink<KafkaDelivery> sink, CancellationToken cancellationToken)
    {
        _sink = sink;
        var config = transport.ClientSettings.Consumer(reading.GroupId, reading.Reset);
        config.StatisticsIntervalMs ??= BrokerReachability.StatisticsInterval;
        _consumer = new ConsumerBuilder<string?, byte[]>(config)
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions, lost: false))
            .SetPartitionsLostHandler((_, partitions) => OnRevoked(partitions, lost: true))
            .SetErrorHandler((_, error) =>
            {
                transport.Reachability.OnError(ReachabilityName, error);
                LogClientError(_logger, reading.GroupId, error.Code, error.Reason);
            })
            .SetStatisticsHandler((_, statistics) => transport.Reachability.OnStatistics(ReachabilityName, statistics))
            .SetLogHandler((_, message) => LogClientMessage(_logger, message.Facility, message.Message))
            .Build();
        _consumer.Subscribe(reading.Topics);
        _lagRegistration = ConsumerLag.Register(ObserveLag);
        var thread = new Thread(Run) { IsBackground = true, Name = "kafka " + reading.GroupId };
        thread.Start();
        var bound = transport.Options.SessionTimeout * 2;
        var joined = await Task.WhenAny(_firstAssignment.Task, _closed.Task, Task.Delay(bound, cancellationToken)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (joined != _firstAssignment.Task && !_closed.Task.IsCompleted)
        {
            // Still joining (a rebalance waits for members that stopped heart-beating): consume from whenever it ends.
            LogJoinSlow(_logger, reading.GroupId, bound.TotalMilliseconds);
        }
    }

    public async ValueTask ReceiveAsync(int maxCount, List<KafkaDelivery> into, CancellationToken cancellationToken)
    {
        var request = new PullRequest(maxCount, into);
        Volatile.Write(ref _request, request);
        _wake.Set();
        using var registration = cancellationToken.Register(static (state, token) => ((PullRequest)state!).Cancel(token), request);
        await request.Done.ConfigureAwait(false);
    }

    public Task StopReceivingAsync()
    {
        _stopReceiving = true;
        _wake.Set();
        return Task.CompletedTask;
    }

    public ValueTask AcknowledgeAsync(KafkaDelivery delivery)
    {
        delivery.Partition.Finish(delivery.Offset);
        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseAsync(KafkaDelivery delivery, int attemptsMade)
    {
        // While the partition stays here, the message is handed out again by this consumer (Kafka has no per-message
        // redelivery); otherwise its offset stays uncommitted and the partition's next owner reads it again.
        if (!_stopReceiving && !delivery.Scope.IsEnded)
        {
            var message = delivery.Message;
            var again = new ReceivedMessage(DeliveryAttempts.Record(message.Envelope, attemptsMade), message.Source, attemptsMade + 1, redelivered: true)
            {
                Topic = message.Topic,
                Subscription = message.Subscription,
                ReaderGroup = message.ReaderGroup,
                StreamPartition = message.StreamPartition,
                StreamOffset = message.StreamOffset,
            };
            _redeliveries.Enqueue(new KafkaDelivery(again, delivery.Partition, delivery.Offset));
            _wake.Set();
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RetryLaterAsync(KafkaDelivery delivery, Envelope retry, TimeSpan delay) =>
        // The transport declares no DelayedDelivery, so the engine holds delayed retries in process and never asks.
        throw new InvalidOperationException("The Kafka transport holds delayed retries in the consumer; it has no broker-side delay.");

    public async ValueTask DeadLetterAsync(KafkaDelivery delivery, Envelope deadLetter)
    {
        await transport.SendToTopicAsync(reading.DeadLetterTopic, [deadLetter], batch: false, CancellationToken.None).ConfigureAwait(false);
        delivery.Partition.Finish(delivery.Offset);
    }

    public async Task CloseAsync()
    {
        _closing = true;
        _wake.Set();
        await _closed.Task.ConfigureAwait(false);
    }

    /// <summary>The poll thread: the only thread that touches the consumer besides offset stores.</summary>
    private void Run()
    {
        var consumer = _consumer!;
        try
        {
            while (!_closing)
            {
                CommitDue(consumer);
                var request = Volatile.Read(ref _request);
                if (request is null || !request.IsOpen || _stopReceiving)
                {
                    Idle(consumer);
                    continue;
                }

                Serve(consumer, request);
            }

            // Leaves the group: the revoke handler commits what finished.
            consumer.Close();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (!_closing)
            {
                _sink!.Fail(new TransportUnavailableException($"The Kafka consumer of group '{reading.GroupId}' failed: {ex.Message}", isTransient: ex is not KafkaException { Error.IsFatal: true }, ex));
            }
            else
            {
                LogCloseFailed(_logger, reading.GroupId, ex);
            }
        }
        finally
        {
            _lagRegistration?.Dispose();
            consumer.Dispose();
            transport.Reachability.Forget(ReachabilityName);
            _delivered.Dispose();
            _finished.Dispose();
            _committed.Dispose();
            _closed.TrySetResult();
        }
    }

    /// <summary>No credit: keep what librdkafka already fetched (up to <see cref="StashLimit"/> messages), then pause
    /// the partitions (so nothing more is fetched that cannot be handled), and keep serving the group's rebalances.</summary>
    private void Idle(IConsumer<string?, byte[]> consumer)
    {
        _wake.Wait(IdleWait);
        var request = Volatile.Read(ref _request);
        if (request is not null && request.IsOpen && !_stopReceiving && !_closing)
        {
            return;
        }

        while (!_stopReceiving && _stash.Count < StashLimit && Poll(consumer, TimeSpan.Zero) is { } early)
        {
            _stash.Enqueue(early);
        }

        if ((_stopReceiving || _stash.Count >= StashLimit) && _paused != true && consumer.Assignment is { Count: > 0 } assignment)
        {
            consumer.Pause(assignment);
            _paused = true;
        }

        if (_paused == true && Poll(consumer, TimeSpan.Zero) is { } late)
        {
            // Paused, the poll only serves the group's rebalances; a message fetched just before the pause still waits.
            _stash.Enqueue(late);
        }
    }

    /// <summary>Drops what waits on the poll thread for these partitions: after a rebalance they are fetched again from
    /// their committed position, by this consumer or their new owner.</summary>
    private void ForgetStashed(IEnumerable<TopicPartition> partitions)
    {
        if (_stash.Count == 0)
        {
            return;
        }

        var gone = partitions.ToHashSet();
        var kept = _stash.Where(r => !gone.Contains(r.TopicPartition)).ToList();
        _stash.Clear();
        foreach (var result in kept)
        {
            _stash.Enqueue(result);
        }
    }

    private void Serve(IConsumer<string?, byte[]> consumer, PullRequest request)
    {
        if (_paused != false)
        {
            consumer.Resume(consumer.Assignment);
            _paused = false;
        }

        var batch = new List<KafkaDelivery>(Math.Min(request.MaxCount, 256));
        while (batch.Count < request.MaxCount && _redeliveries.TryDequeue(out var again))
        {
            if (!again.Scope.IsEnded)
            {
                batch.Add(again);
            }
        }

        while (batch.Count < request.MaxCount && _stash.TryDequeue(out var stashed))
        {
            Add(batch, stashed);
        }

        while (batch.Count < request.MaxCount && !_closing && !_stopReceiving && request.IsOpen)
        {
            var result = Poll(consumer, batch.Count == 0 ? IdleWait : TimeSpan.Zero);
            if (result is null)
            {
                if (batch.Count > 0 || !_redeliveries.IsEmpty)
                {
                    break;
                }

                CommitDue(consumer);
                continue;
            }

            Add(batch, result);
        }

        if (batch.Count > 0 && !request.TryComplete(batch))
        {
            // Cancelled (the consumer stops): never handed out, so never finished; their offsets stay uncommitted.
            LogDropped(_logger, reading.GroupId, batch.Count);
        }

        if (!request.IsOpen)
        {
            Interlocked.CompareExchange(ref _request, null, request);
        }
    }

    private ConsumeResult<string?, byte[]>? Poll(IConsumer<string?, byte[]> consumer, TimeSpan timeout)
    {
        try
        {
            var result = consumer.Consume(timeout);
            return result is null || result.IsPartitionEOF ? null : result;
        }
        catch (ConsumeException ex) when (!ex.Error.IsFatal)
        {
            LogConsumeError(_logger, reading.GroupId, ex.Error.Code, ex.Error.Reason);
            return null;
        }
    }

    private void Add(List<KafkaDelivery> batch, ConsumeResult<string?, byte[]> result)
    {
        if (!_assigned.TryGetValue(result.TopicPartition, out var partition) || partition.Scope.IsEnded)
        {
            return;
        }

        var offset = result.Offset.Value;
        partition.Track(offset);
        var envelope = KafkaEnvelope.FromMessage(result);
        batch.Add(new KafkaDelivery(
            new ReceivedMessage(envelope, reading.Source, DeliveryAttempts.NextAttempt(envelope), redelivered: offset < partition.RedeliveredBelow)
            {
                Topic = reading.Topic,
                Subscription = reading.Subscription,
                ReaderGroup = reading.ReaderGroup,
                StreamPartition = result.Partition.Value,
                StreamOffset = offset,
            },
            partition,
            offset));
    }

    private List<TopicPartitionOffset> OnAssigned(List<TopicPartition> partitions)
    {
        ForgetStashed(partitions);
        // The next round pauses or resumes the whole new assignment, whatever state its partitions carry.
        _paused = null;
        var marks = _delivered.Read(partitions);
        var starts = reading.Stream is null ? Resume(partitions) : StreamStarts(partitions, reading.Stream);
        foreach (var topicPartition in partitions)
        {
            var scope = _sink!.CreateScope($"{topicPartition.Topic}[{topicPartition.Partition.Value}]");
            var start = starts.FirstOrDefault(s => s.TopicPartition == topicPartition)?.Offset.Value ?? -1;
            _assigned[topicPartition] = new AssignedPartition(topicPartition, scope, reading.Stream is { } stream ? new StreamCheckpoints(stream) : null)
            {
                RedeliveredBelow = marks.GetValueOrDefault(topicPartition, -1),
                StartOffset = start >= 0 ? start : -1,
            };
        }

        _assignedBefore = true;
        LogAssigned(_logger, reading.GroupId, starts);
        _firstAssignment.TrySetResult();
        return starts;
    }

    /// <summary>Where a queue or subscription consumer starts: the group's commit, or the finished mark a member left
    /// when it could not commit (see <see cref="CompanionOffsets"/>), whichever is higher; the group's reset where
    /// there is neither.</summary>
    private List<TopicPartitionOffset> Resume(List<TopicPartition> partitions)
    {
        var finished = _finished.Read(partitions);
        if (!finished.Values.Any(f => f >= 0))
        {
            return partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset)).ToList();
        }

        var positions = Positions(partitions, finished);
        return partitions.Select(p => new TopicPartitionOffset(p, positions[p] >= 0 ? new Offset(positions[p]) : Offset.Unset)).ToList();
    }

    /// <summary>Per partition, the higher of the group's commit and the finished mark; -1 where there is neither.</summary>
    private Dictionary<TopicPartition, long> Positions(List<TopicPartition> partitions, Dictionary<TopicPartition, long>? finished = null)
    {
        finished ??= _finished.Read(partitions);
        var committed = _committed.Read(partitions);
        return partitions.ToDictionary(p => p, p => Math.Max(committed.GetValueOrDefault(p, -1), finished.GetValueOrDefault(p, -1)));
    }

    /// <summary>Where a stream reader starts in each partition: after the group's checkpoint when it resumes (or read
    /// before in this reader), otherwise at the position resolved when the reader started.</summary>
    private List<TopicPartitionOffset> StreamStarts(List<TopicPartition> partitions, StreamReadOptions options)
    {
        var committed = options.ResumeFromCheckpoint || _assignedBefore ? Positions(partitions) : [];
        return partitions.Select(p =>
            committed.TryGetValue(p, out var checkpoint) && checkpoint >= 0
                ? new TopicPartitionOffset(p, checkpoint)
                : new TopicPartitionOffset(p, streamStarts is not null && streamStarts.TryGetValue(p, out var start) ? start : Offset.Beginning)).ToList();
    }

    private void OnRevoked(List<TopicPartitionOffset> partitions, bool lost)
    {
        ForgetStashed(partitions.Select(p => p.TopicPartition));
        var ending = new List<AssignedPartition>();
        foreach (var partition in partitions)
        {
            if (_assigned.Remove(partition.TopicPartition, out var assigned))
            {
                ending.Add(assigned);
            }
        }

        if (ending.Count == 0)
        {
            return;
        }

        var reason = lost ? "partition lost" : "partition revoked";
        var ends = ending.Select(p => _sink!.EndScopeAsync(p.Scope, reason, cancelRunning: lost)).ToArray();
        var all = Task.WhenAll(ends);
        if (!lost && !all.Wait(transport.Options.RevokeTimeout))
        {
            LogRevokeTimeout(_logger, reading.GroupId, transport.Options.RevokeTimeout.TotalMilliseconds);
            for (var i = 0; i < ending.Count; i++)
            {
                if (!ends[i].IsCompleted)
                {
                    _ = CancelAsync(ending[i].Scope);
                }
            }

            // Cancelled handlers settle as released: nothing of theirs is committed below. One that ignores its
            // cancellation is abandoned: the partition is closed to its late acknowledgement.
            _ = all.Wait(transport.Options.RevokeTimeout);
        }

        var finals = ending.Select(p => p.Close()).OfType<TopicPartitionOffset>().ToList();

        // Messages handed out but not finished are read again by the partition's next owner: mark them redelivered.
        // Also when the partitions were lost: the marks live beside the group, not in its generation.
        _delivered.Write(ending
            .Where(p => p.HandedOutTo > Math.Max(p.RedeliveredBelow, finals.FirstOrDefault(f => f.TopicPartition == p.TopicPartition)?.Offset.Value ?? -1))
            .Select(p => new TopicPartitionOffset(p.TopicPartition, p.HandedOutTo))
            .ToList());
        if (lost || finals.Count == 0)
        {
            return;
        }

        try
        {
            _consumer!.Commit(finals);
            LogCommitted(_logger, reading.GroupId, finals);
        }
        catch (KafkaException ex)
        {
            // Kept beside the group instead, where the next owner starts from (see CompanionOffsets).
            LogCommitFailed(_logger, reading.GroupId, ex.Error.Code, ex.Error.Reason);
            _finished.Write(finals);
        }
    }

    private async Task CancelAsync(DeliveryScope scope)
    {
        try
        {
            await _sink!.EndScopeAsync(scope, "partition revoked; handlers did not finish in time", cancelRunning: true).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The scope finished meanwhile.
        }
    }

    /// <summary>Commits what finished, every <see cref="KafkaTransportOptions.CommitInterval"/>, synchronously on the
    /// poll thread: one commit at a time, so a retried commit can never land after a later one.</summary>
    private void CommitDue(IConsumer<string?, byte[]> consumer)
    {
        var now = Environment.TickCount64;
        if (now - _lastCommit < _commitInterval)
        {
            return;
        }

        _lastCommit = now;
        RefreshLag(consumer);
        var due = _assigned.Values.Select(p => p.DueCommit()).OfType<TopicPartitionOffset>().ToList();
        if (due.Count == 0)
        {
            return;
        }

        try
        {
            consumer.Commit(due);
            foreach (var position in due)
            {
                _assigned.GetValueOrDefault(position.TopicPartition)?.Committed(position.Offset.Value);
            }
        }
        catch (KafkaException ex)
        {
            // Tried again at the next interval; until then a crash re-reads a little more (duplicates, never loss).
            LogCommitFailed(_logger, reading.GroupId, ex.Error.Code, ex.Error.Reason);
        }
    }

    /// <summary>From what the consumer already knows (end offsets from its fetches, its own positions): no round trip.</summary>
    private void RefreshLag(IConsumer<string?, byte[]> consumer)
    {
        foreach (var gone in _lag.Keys.Where(p => !_assigned.ContainsKey(p)).ToList())
        {
            _lag.TryRemove(gone, out _);
        }

        foreach (var (topicPartition, partition) in _assigned)
        {
            var end = consumer.GetWatermarkOffsets(topicPartition).High.Value;
            var position = partition.Position;
            if (end >= 0 && position >= 0)
            {
                _lag[topicPartition] = Math.Max(0, end - position);
            }
        }
    }

    private IEnumerable<System.Diagnostics.Metrics.Measurement<long>> ObserveLag() =>
        _lag.Select(entry => new System.Diagnostics.Metrics.Measurement<long>(
            entry.Value,
            new KeyValuePair<string, object?>("messaging.system", "kafka"),
            new KeyValuePair<string, object?>("messaging.consumer.group.name", reading.GroupId),
            new KeyValuePair<string, object?>("messaging.destination.name", entry.Key.Topic),
            new KeyValuePair<string, object?>("messaging.destination.partition.id", entry.Key.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    [LoggerMessage(EventId = 1700, Level = LogLevel.Warning, Message = "Kafka consumer of group {GroupId}: error {Code}: {Reason}")]
    private static partial void LogClientError(ILogger logger, string groupId, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Debug, Message = "librdkafka {Facility}: {Message}")]
    private static partial void LogClientMessage(ILogger logger, string facility, string message);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Warning, Message = "Kafka consumer of group {GroupId}: consume error {Code}: {Reason}")]
    private static partial void LogConsumeError(ILogger logger, string groupId, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Information, Message = "Kafka consumer of group {GroupId} assigned {Partitions}")]
    private static partial void LogAssigned(ILogger logger, string groupId, IEnumerable<TopicPartitionOffset> partitions);

    [LoggerMessage(EventId = 1704, Level = LogLevel.Information, Message = "Kafka consumer of group {GroupId} committed {Offsets} before giving its partitions up")]
    private static partial void LogCommitted(ILogger logger, string groupId, IEnumerable<TopicPartitionOffset> offsets);

    [LoggerMessage(EventId = 1705, Level = LogLevel.Warning, Message = "Kafka consumer of group {GroupId} could not commit: {Code}: {Reason}")]
    private static partial void LogCommitFailed(ILogger logger, string groupId, ErrorCode code, string reason);

    [LoggerMessage(EventId = 1706, Level = LogLevel.Warning, Message = "Kafka consumer of group {GroupId}: handlers of revoked partitions did not finish within {TimeoutMs} ms and are cancelled")]
    private static partial void LogRevokeTimeout(ILogger logger, string groupId, double timeoutMs);

    [LoggerMessage(EventId = 1708, Level = LogLevel.Debug, Message = "Kafka consumer of group {GroupId} dropped {Count} messages fetched as it stopped; they stay uncommitted")]
    private static partial void LogDropped(ILogger logger, string groupId, int count);

    [LoggerMessage(EventId = 1710, Level = LogLevel.Information, Message = "Kafka consumer of group {GroupId} has no assignment after {TimeoutMs} ms; it starts and takes its partitions when the group's rebalance ends")]
    private static partial void LogJoinSlow(ILogger logger, string groupId, double timeoutMs);

    [LoggerMessage(EventId = 1709, Level = LogLevel.Warning, Message = "Kafka consumer of group {GroupId} did not close cleanly")]
    private static partial void LogCloseFailed(ILogger logger, string groupId, Exception exception);
}

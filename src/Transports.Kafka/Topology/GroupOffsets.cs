using Confluent.Kafka;
using Messaging.Adapters.Kafka.Configuration;

namespace Messaging.Adapters.Kafka.Topology;

/// <summary>
/// Reads and sets a consumer group's committed offsets without joining the group (a commit as a non-member, as Kafka
/// allows for a group with no active members): where a new subscription starts, where a stream reader starts, and
/// what "deleting" a queue or subscription means on a cluster that refuses to delete topics and groups.
/// </summary>
internal sealed class GroupOffsets(KafkaClientSettings settings, TopicProvisioner topics, TimeSpan sessionTimeout)
{
    /// <summary>The offset committed on partition 0 of a subscription's own topic to record that the subscription was
    /// deleted, where the cluster cannot delete the group: far past any real offset, so a subscription created again
    /// starts afresh.</summary>
    internal const long DeletedMarker = long.MaxValue / 4;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Makes a subscription's group start at the end of its topics as they are now, unless it already has a
    /// position (it existed before): a new subscription receives only what is published after it was created.</summary>
    public async Task StartSubscriptionAsync(string groupId, string topic, string ownTopic, CancellationToken cancellationToken)
    {
        var main = await topics.PartitionsAsync(topic, cancellationToken).ConfigureAwait(false);
        var own = await topics.PartitionsAsync(ownTopic, cancellationToken).ConfigureAwait(false);
        using var consumer = Standalone(groupId);
        var committed = await Task.Run(() => consumer.Committed([.. main, .. own], Timeout), cancellationToken).ConfigureAwait(false);
        var deleted = committed.Any(c => c.Topic == ownTopic && c.Offset.Value == DeletedMarker);
        if (!deleted && committed.Any(c => c.Offset.Value >= 0))
        {
            return;
        }

        var ends = await Task.Run(() => Ends(consumer, [.. main, .. own]), cancellationToken).ConfigureAwait(false);
        await CommitAsync(consumer, groupId, ends, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Moves a group to the end of its topics: everything in them now counts as consumed.</summary>
    public async Task SkipToEndAsync(string groupId, IReadOnlyList<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        using var consumer = Standalone(groupId);
        var ends = await Task.Run(() => Ends(consumer, partitions), cancellationToken).ConfigureAwait(false);
        await CommitAsync(consumer, groupId, ends, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records that a subscription was deleted (see <see cref="DeletedMarker"/>) after moving it to the end.</summary>
    public async Task MarkDeletedAsync(string groupId, IReadOnlyList<TopicPartition> partitions, TopicPartition marker, CancellationToken cancellationToken)
    {
        using var consumer = Standalone(groupId);
        var ends = await Task.Run(() => Ends(consumer, partitions), cancellationToken).ConfigureAwait(false);
        ends.RemoveAll(p => p.TopicPartition == marker);
        ends.Add(new TopicPartitionOffset(marker, DeletedMarker));
        await CommitAsync(consumer, groupId, ends, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Where a stream reader starts in each partition when its group has no checkpoint (or replays): fixed
    /// now, so that <see cref="StreamPosition.End"/> reads exactly what is appended after the reader started.</summary>
    public Task<Dictionary<TopicPartition, Offset>> StreamStartsAsync(string groupId, IReadOnlyList<TopicPartition> partitions, StreamPosition position, CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                using var consumer = Standalone(groupId);
                var starts = new Dictionary<TopicPartition, Offset>();
                foreach (var partition in partitions)
                {
                    starts[partition] = position.Kind switch
                    {
                        StreamPositionKind.Beginning => Offset.Beginning,
                        StreamPositionKind.End => consumer.QueryWatermarkOffsets(partition, Timeout).High,
                        // An offset past the end starts at the end, not (as Kafka's reset would) at the beginning.
                        StreamPositionKind.Offset => Clamp(consumer.QueryWatermarkOffsets(partition, Timeout), position.Offset),
                        _ => OffsetForTime(consumer, partition, position.Time),
                    };
                }

                return starts;
            },
            cancellationToken);

    /// <summary>Commits as a non-member; where the coordinator refuses that (a group that had members: librdkafka's
    /// mock cluster keeps them known), joins the group for the moment of the commit.</summary>
    private async Task CommitAsync(IConsumer<byte[], byte[]> consumer, string groupId, List<TopicPartitionOffset> offsets, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Run(() => consumer.Commit(offsets), cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaException ex) when (ex.Error.Code is ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration or ErrorCode.RebalanceInProgress)
        {
            await Task.Run(() => CommitAsMember(groupId, offsets), cancellationToken).ConfigureAwait(false);
        }
    }

    private void CommitAsMember(string groupId, List<TopicPartitionOffset> offsets)
    {
        var config = settings.Consumer(groupId, AutoOffsetReset.Latest);
        config.EnableAutoCommit = false;
        using var member = new ConsumerBuilder<byte[], byte[]>(config).Build();
        member.Subscribe(offsets.Select(o => o.Topic).Distinct());
        var wanted = offsets.Select(o => o.TopicPartition).ToHashSet();
        var deadline = DateTime.UtcNow + (2 * sessionTimeout) + TimeSpan.FromSeconds(5);
        while (!wanted.IsSubsetOf(member.Assignment))
        {
            if (DateTime.UtcNow > deadline)
            {
                member.Close();
                throw new TransportUnavailableException($"Kafka consumer group '{groupId}' still has active members holding its partitions; stop its consumers first.", isTransient: true);
            }

            // Only to take part in the group's rebalance; what it returns is not committed.
            _ = member.Consume(TimeSpan.FromMilliseconds(100));
        }

        member.Commit(offsets);
        member.Close();
    }

    /// <summary>The first offset appended at or after <paramref name="time"/>: the broker's answer (<c>OffsetsForTimes</c>),
    /// or, where the broker gives none for a partition that has messages (librdkafka's mock cluster answers -1 to every
    /// time), a binary search on the records' timestamps (the append time: the transport leaves it to the producer).</summary>
    private static Offset OffsetForTime(IConsumer<byte[], byte[]> consumer, TopicPartition partition, DateTimeOffset time)
    {
        var watermarks = consumer.QueryWatermarkOffsets(partition, Timeout);
        if (watermarks.High.Value <= watermarks.Low.Value)
        {
            return watermarks.High;
        }

        var answer = consumer.OffsetsForTimes([new TopicPartitionTimestamp(partition, new Timestamp(time))], Timeout)[0].Offset;
        if (answer.Value >= 0)
        {
            return answer;
        }

        // Invariant: every record before `low` is older than `time`; the record at `high` (or the end) is not.
        long low = watermarks.Low.Value, high = watermarks.High.Value;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            var (offset, timestamp) = FirstRecordFrom(consumer, partition, middle);
            if (offset is null)
            {
                high = middle;
            }
            else if (timestamp < time)
            {
                low = offset.Value + 1;
            }
            else
            {
                high = middle;
            }
        }

        consumer.Unassign();
        return new Offset(low);
    }

    /// <summary>The offset and timestamp of the first record at or after <paramref name="offset"/>.</summary>
    private static (long? Offset, DateTimeOffset Timestamp) FirstRecordFrom(IConsumer<byte[], byte[]> consumer, TopicPartition partition, long offset)
    {
        consumer.Assign(new TopicPartitionOffset(partition, offset));
        var record = consumer.Consume(Timeout);
        return record is null || record.IsPartitionEOF
            ? (null, default)
            : (record.Offset.Value, new DateTimeOffset(record.Message.Timestamp.UtcDateTime));
    }

    private static Offset Clamp(WatermarkOffsets watermarks, long offset) =>
        new(Math.Clamp(offset, watermarks.Low.Value, Math.Max(watermarks.Low.Value, watermarks.High.Value)));

    private static List<TopicPartitionOffset> Ends(IConsumer<byte[], byte[]> consumer, IEnumerable<TopicPartition> partitions) =>
        partitions.Select(p => new TopicPartitionOffset(p, consumer.QueryWatermarkOffsets(p, Timeout).High)).ToList();

    private IConsumer<byte[], byte[]> Standalone(string groupId)
    {
        var config = settings.Consumer(groupId, AutoOffsetReset.Earliest);
        config.EnableAutoCommit = false;
        return new ConsumerBuilder<byte[], byte[]>(config).Build();
    }
}

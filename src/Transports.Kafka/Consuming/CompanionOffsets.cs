using Confluent.Kafka;
using Messaging.Adapters.Kafka.Configuration;

namespace Messaging.Adapters.Kafka.Consuming;

/// <summary>
/// Marks per partition kept beside a consumer group as the committed offsets of a companion group that nobody joins
/// (<c>messaging.&lt;purpose&gt;:&lt;group&gt;</c>), so any member can write them whatever state the group is in:
/// <list type="bullet">
/// <item><description><c>delivered</c>: how far the group handed messages out when a member gave partitions up; a
/// message read again below it was delivered before without being finished, so it arrives with
/// <see cref="ReceivedMessage.Redelivered"/> set;</description></item>
/// <item><description><c>finished</c>: the position of finished messages when a member could not commit it as it gave
/// partitions up (librdkafka's mock cluster refuses commits while the group rebalances); the next owner starts at the
/// higher of it and the group's commit, so finished messages are not handled again.</description></item>
/// </list>
/// </summary>
/// <remarks>A consumer that crashes writes nothing: its unfinished messages arrive again without the flag. Used only
/// from the receiver's poll thread.</remarks>
/// <remarks>With no purpose it reads the group's own commits from outside the group: librdkafka holds a member's own
/// offset look-ups while its group rebalances, which is exactly when an assignment needs them.</remarks>
internal sealed class CompanionOffsets(KafkaClientSettings settings, string? purpose, string groupId) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private IConsumer<byte[], byte[]>? _store;

    /// <summary>The marks of these partitions (-1 where there is none).</summary>
    public Dictionary<TopicPartition, long> Read(IReadOnlyList<TopicPartition> partitions)
    {
        try
        {
            return Store().Committed(partitions, Timeout).ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
        }
        catch (KafkaException)
        {
            // Without the marks, redeliveries are not flagged and finished messages may be handled again: never a loss.
            return [];
        }
    }

    /// <summary>Records marks; a failure costs only a flag or a duplicate later.</summary>
    public void Write(IReadOnlyList<TopicPartitionOffset> marks)
    {
        if (marks.Count == 0)
        {
            return;
        }

        try
        {
            Store().Commit(marks);
        }
        catch (KafkaException)
        {
            // As above.
        }
    }

    public void Dispose() => _store?.Dispose();

    private IConsumer<byte[], byte[]> Store()
    {
        if (_store is null)
        {
            var config = settings.Consumer(purpose is null ? groupId : "messaging." + purpose + ":" + groupId, AutoOffsetReset.Earliest);
            config.EnableAutoCommit = false;
            _store = new ConsumerBuilder<byte[], byte[]>(config).Build();
        }

        return _store;
    }
}

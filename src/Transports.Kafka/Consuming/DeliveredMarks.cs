using Confluent.Kafka;
using Messaging.Adapters.Kafka.Configuration;

namespace Messaging.Adapters.Kafka.Consuming;

/// <summary>
/// How far a consumer group has handed messages out, per partition, kept as the committed offsets of a companion group
/// (<c>messaging.delivered:&lt;group&gt;</c>, never joined by anyone): a message read again below that mark was delivered
/// before without being finished, so it arrives with <see cref="ReceivedMessage.Redelivered"/> set.
/// </summary>
/// <remarks>Written when a consumer gives partitions up (revoke, stop); a consumer that crashes writes nothing, and its
/// unfinished messages then arrive again without the flag. Used only from the receiver's poll thread.</remarks>
internal sealed class DeliveredMarks(KafkaClientSettings settings, string groupId) : IDisposable
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
            // Without the marks, redeliveries are not flagged; nothing else depends on them.
            return [];
        }
    }

    /// <summary>Records marks; failures only cost the flag on later redeliveries.</summary>
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
            var config = settings.Consumer("messaging.delivered:" + groupId, AutoOffsetReset.Earliest);
            config.EnableAutoCommit = false;
            _store = new ConsumerBuilder<byte[], byte[]>(config).Build();
        }

        return _store;
    }
}

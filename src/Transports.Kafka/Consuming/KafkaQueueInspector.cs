using Confluent.Kafka;
using Messaging.Adapters.Kafka.Publishing;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Kafka.Consuming;

/// <summary>
/// Counts and peeks Kafka queues with the broker's own means. A queue is a topic read by the consumer group named after
/// it (<see cref="KafkaQueue"/>): what it holds is, per partition, the end offset less where the group resumes (its
/// committed offset, or the finished mark a member left when it could not commit, <see cref="CompanionOffsets"/>; the
/// start of the partition where there is neither). A peek reads from there with a consumer that is <c>assign()</c>ed
/// the partitions, joins no group and commits nothing.
/// </summary>
internal sealed class KafkaQueueInspector(KafkaTransport transport) : IQueueInspector
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<QueueCount> CountAsync(string queue, CancellationToken cancellationToken = default)
    {
        var ranges = await RangesAsync(queue, cancellationToken).ConfigureAwait(false);
        return ranges is null ? QueueCount.Missing : new QueueCount(ranges.Sum(r => r.End - r.Start));
    }

    public async Task<IReadOnlyList<Envelope>> PeekAsync(string queue, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var ranges = (await RangesAsync(queue, cancellationToken).ConfigureAwait(false))?.Where(r => r.End > r.Start).ToList();
        if (ranges is not { Count: > 0 })
        {
            return [];
        }

        return await Task.Run(() => Read(queue, ranges, max, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private List<Envelope> Read(string queue, List<(TopicPartition Partition, long Start, long End)> ranges, int max, CancellationToken cancellationToken)
    {
        var config = transport.ClientSettings.Consumer(queue, AutoOffsetReset.Earliest);
        config.EnableAutoCommit = false;
        config.EnableAutoOffsetStore = false;
        using var reader = new ConsumerBuilder<string?, byte[]>(config).Build();
        var letters = new List<Envelope>();
        var left = ranges.ToDictionary(r => r.Partition, r => r.End);
        reader.Assign(ranges.Select(r => new TopicPartitionOffset(r.Partition, r.Start)));
        var deadline = DateTime.UtcNow + Timeout;
        try
        {
            while (letters.Count < max && left.Count > 0 && DateTime.UtcNow < deadline)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = reader.Consume(TimeSpan.FromMilliseconds(200));
                if (result is null || result.IsPartitionEOF)
                {
                    continue;
                }

                if (left.TryGetValue(result.TopicPartition, out var end) && result.Offset.Value < end)
                {
                    letters.Add(KafkaEnvelope.FromMessage(result));
                    if (result.Offset.Value + 1 >= end)
                    {
                        left.Remove(result.TopicPartition);
                    }
                }
            }
        }
        finally
        {
            // Never committed, never joined a group: closing leaves the queue's group exactly where it was.
            reader.Close();
        }

        return letters;
    }

    /// <summary>Per partition, where the queue's group resumes and the end; <see langword="null"/> when the topic does not exist.</summary>
    private async Task<List<(TopicPartition Partition, long Start, long End)>?> RangesAsync(string queue, CancellationToken cancellationToken)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
        if (!await transport.Topics.ExistsAsync(queue, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var partitions = await transport.Topics.PartitionsAsync(queue, cancellationToken).ConfigureAwait(false);
        return await Task.Run(
            () =>
            {
                using var committed = new CompanionOffsets(transport.ClientSettings, purpose: null, queue);
                using var finished = new CompanionOffsets(transport.ClientSettings, "finished", queue);
                var commits = committed.Read(partitions);
                var marks = finished.Read(partitions);
                var config = transport.ClientSettings.Consumer(queue, AutoOffsetReset.Earliest);
                config.EnableAutoCommit = false;
                using var watermarks = new ConsumerBuilder<byte[], byte[]>(config).Build();
                return partitions.Select(p =>
                {
                    var range = watermarks.QueryWatermarkOffsets(p, Timeout);
                    var start = Math.Max(range.Low.Value, Math.Max(commits.GetValueOrDefault(p, -1), marks.GetValueOrDefault(p, -1)));
                    return (p, start, Math.Max(start, range.High.Value));
                }).ToList();
            },
            cancellationToken).ConfigureAwait(false);
    }
}

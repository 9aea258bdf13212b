using System.Globalization;
using Confluent.Kafka;

namespace Messaging.Adapters.Kafka.Tests.Support;

/// <summary>
/// Reads a topic from its beginning to its end, outside any group, to say where messages a fault test found lost are:
/// in the topic (the consumer side skipped them) or not (the producer confirmed a message the cluster does not have).
/// </summary>
internal static class TopicScan
{
    /// <summary>For each id, "partition/offset" where a message with that id is stored, or "not in the topic".</summary>
    public static IReadOnlyDictionary<string, string> Locate(string bootstrap, string topic, int partitions, IReadOnlyCollection<string> ids)
    {
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        var found = ids.ToDictionary(id => id, _ => "not in the topic", StringComparer.Ordinal);
        using var reader = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "scan-" + Guid.NewGuid().ToString("N")[..8],
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        var remaining = new HashSet<int>();
        var assignment = new List<TopicPartitionOffset>();
        for (var p = 0; p < partitions; p++)
        {
            var marks = reader.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10));
            if (marks.High.Value > marks.Low.Value)
            {
                remaining.Add(p);
                assignment.Add(new TopicPartitionOffset(topic, p, Offset.Beginning));
            }
        }

        reader.Assign(assignment);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (remaining.Count > 0 && DateTime.UtcNow < deadline)
        {
            var result = reader.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                remaining.Remove(result.Partition.Value);
                continue;
            }

            var id = result.Message.Headers.TryGetLastBytes("ce_id", out var bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : null;
            if (id is not null && wanted.Contains(id))
            {
                found[id] = string.Create(CultureInfo.InvariantCulture, $"partition {result.Partition.Value} offset {result.Offset.Value}");
            }
        }

        return found;
    }
}

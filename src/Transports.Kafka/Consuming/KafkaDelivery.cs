using Confluent.Kafka;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Kafka.Consuming;

/// <summary>One consumed Kafka message until it is settled: the partition assignment it came in and its offset.</summary>
internal sealed class KafkaDelivery(ReceivedMessage message, AssignedPartition partition, long offset) : InboundDelivery(message, partition.Scope)
{
    public AssignedPartition Partition { get; } = partition;

    public long Offset { get; } = offset;
}

using Confluent.Kafka;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Kafka.Consuming;

/// <summary>One consumed Kafka message until it is settled: the partition assignment it came in and its offset.</summary>
internal sealed class KafkaDelivery(ReceivedMessage message, AssignedPartition partition, long offset) : InboundDelivery(message, partition.Scope)
{
    public AssignedPartition Partition { get; } = partition;

    public long Offset { get; } = offset;
}

/// <summary>
/// One partition while it is assigned to a consumer: its delivery scope (ended when the partition is revoked), the
/// contiguous commit position of its finished offsets and, for a stream reader, when the next checkpoint is due.
/// </summary>
/// <remarks>Offsets are stored for commit only under <see cref="Gate"/> and only while the partition is
/// <see cref="IsOpen"/>, so nothing finished after the partition was given up can move its committed offset.</remarks>
internal sealed class AssignedPartition(TopicPartition topicPartition, DeliveryScope scope, StreamCheckpoints? checkpoints)
{
    private PartitionOffsets? _offsets;

    public TopicPartition TopicPartition { get; } = topicPartition;

    public DeliveryScope Scope { get; } = scope;

    public Lock Gate { get; } = new();

    /// <summary>Whether offsets of this assignment may still be stored (false once revoked or lost).</summary>
    public bool IsOpen { get; set; } = true;

    /// <summary>The last position stored for commit, or -1.</summary>
    public long Stored { get; set; } = -1;

    /// <summary>Offsets below this were handed out before by the group without being finished (see <see cref="DeliveredMarks"/>).</summary>
    public long RedeliveredBelow { get; init; } = -1;

    /// <summary>The offset after the last one handed out in this assignment, or -1.</summary>
    public long HandedOutTo { get; private set; } = -1;

    /// <summary>The stream reader's checkpoint schedule, or <see langword="null"/> for queues and subscriptions
    /// (which store every advance).</summary>
    public StreamCheckpoints? Checkpoints { get; } = checkpoints;

    /// <summary>Records a message handed out; called by the poll thread, in offset order.</summary>
    public void Track(long offset)
    {
        lock (Gate)
        {
            (_offsets ??= new PartitionOffsets(offset)).Track(offset);
            HandedOutTo = offset + 1;
        }
    }

    /// <summary>Records a finished message and, when the position moved (a stream reader: when a checkpoint is due),
    /// stores it for commit with <paramref name="store"/>, under the gate so that no store follows the end of the
    /// assignment.</summary>
    public void Finish(long offset, Action<TopicPartitionOffset> store)
    {
        lock (Gate)
        {
            if (!IsOpen || _offsets is null)
            {
                return;
            }

            var advanced = _offsets.Complete(offset);
            if (Checkpoints is not null)
            {
                // A stream reader stores a checkpoint every CheckpointEvery messages or CheckpointInterval.
                if (!Checkpoints.Advance(offset))
                {
                    return;
                }

                Checkpoints.Saved();
                advanced = _offsets.Position;
            }

            if (advanced is { } position && position > Stored)
            {
                store(new TopicPartitionOffset(TopicPartition, position));
                Stored = position;
            }
        }
    }

    /// <summary>Closes the assignment: nothing is stored for it any more.</summary>
    /// <returns>The position of everything finished, for the assignment's final commit, or <see langword="null"/>
    /// when nothing was read.</returns>
    public TopicPartitionOffset? Close()
    {
        lock (Gate)
        {
            IsOpen = false;
            // The tracker starts at the first offset read, never below the committed one: its position never moves a
            // commit backwards.
            return _offsets is null ? null : new TopicPartitionOffset(TopicPartition, _offsets.Position);
        }
    }
}

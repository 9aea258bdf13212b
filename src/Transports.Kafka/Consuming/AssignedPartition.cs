using Confluent.Kafka;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Kafka.Consuming;

/// <summary>
/// One partition while it is assigned to a consumer: its delivery scope (ended when the partition is revoked), the
/// contiguous position of its finished offsets (<see cref="PartitionOffsets"/>) and what of it is due for commit.
/// </summary>
/// <remarks>Workers finish offsets; only the consumer's poll thread commits, one synchronous commit at a time, so a
/// member's commits never overtake each other, and nothing is committed for the partition once it was given up
/// (<see cref="Close"/>): its committed offset never moves backwards.</remarks>
internal sealed class AssignedPartition(TopicPartition topicPartition, DeliveryScope scope, StreamCheckpoints? checkpoints)
{
    private readonly Lock _gate = new();
    private PartitionOffsets? _offsets;
    private long _due = -1;
    private long _committed = -1;
    private bool _open = true;
    private bool _finishedAny;

    public TopicPartition TopicPartition { get; } = topicPartition;

    public DeliveryScope Scope { get; } = scope;

    /// <summary>Offsets below this were handed out before by the group without being finished (see <see cref="CompanionOffsets"/>).</summary>
    public long RedeliveredBelow { get; init; } = -1;

    /// <summary>The offset after the last one handed out in this assignment, or -1.</summary>
    public long HandedOutTo { get; private set; } = -1;

    /// <summary>Records a message handed out; called by the poll thread, in offset order.</summary>
    public void Track(long offset)
    {
        lock (_gate)
        {
            (_offsets ??= new PartitionOffsets(offset)).Track(offset);
            HandedOutTo = offset + 1;
        }
    }

    /// <summary>Records a finished message (handled, filtered out, dead-lettered). The position it makes contiguous is
    /// due for commit at once for queues and subscriptions, and for a stream reader when its checkpoint is due
    /// (<see cref="StreamReadOptions.CheckpointEvery"/>, <see cref="StreamReadOptions.CheckpointInterval"/>).</summary>
    public void Finish(long offset)
    {
        lock (_gate)
        {
            if (!_open || _offsets is null)
            {
                return;
            }

            var advanced = _offsets.Complete(offset);
            _finishedAny = true;
            if (checkpoints is not null)
            {
                if (!checkpoints.Advance(offset))
                {
                    return;
                }

                checkpoints.Saved();
                advanced = _offsets.Position;
            }

            if (advanced is { } position && position > _due)
            {
                _due = position;
            }
        }
    }

    /// <summary>The position to commit now, or <see langword="null"/> when nothing new is due.</summary>
    public TopicPartitionOffset? DueCommit()
    {
        lock (_gate)
        {
            return _open && _due > _committed ? new TopicPartitionOffset(TopicPartition, _due) : null;
        }
    }

    /// <summary>Where the partition's group stands: everything before it is finished (due or committed), or where the
    /// assignment started (its committed offset, or the first offset handed out); -1 before anything is known.</summary>
    public long Position
    {
        get
        {
            lock (_gate)
            {
                // Before any commit of a group without a committed offset, the first offset handed out stands for the
                // reset's position (the offsets tracker starts there).
                return Math.Max(Math.Max(_due, _committed), Math.Max(StartOffset, _offsets?.Position ?? -1));
            }
        }
    }

    /// <summary>The offset the assignment started at, or -1 when the group's reset decides it.</summary>
    public long StartOffset { get; init; } = -1;

    /// <summary>Records a successful commit.</summary>
    public void Committed(long position)
    {
        lock (_gate)
        {
            _committed = Math.Max(_committed, position);
        }
    }

    /// <summary>Closes the assignment: nothing is finished or committed for it any more.</summary>
    /// <returns>The position of everything finished, for the assignment's final commit (a stream reader's final
    /// checkpoint), or <see langword="null"/> when nothing finished since the last commit.</returns>
    public TopicPartitionOffset? Close()
    {
        lock (_gate)
        {
            _open = false;
            return _finishedAny && _offsets is { } offsets && offsets.Position > _committed
                ? new TopicPartitionOffset(TopicPartition, offsets.Position)
                : null;
        }
    }
}

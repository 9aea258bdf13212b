namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// The arguments of every queue the transport declares, one canonical set per purpose, so that declaring a queue
/// again from anywhere (another process, another way of reaching it) never conflicts.
/// </summary>
/// <param name="options">The transport's options: <see cref="RabbitMqTransportOptions.QueueType"/> and
/// <see cref="RabbitMqTransportOptions.CheckpointRetention"/>.</param>
internal sealed class QueueDefinitions(RabbitMqTransportOptions options)
{
    private bool Quorum => options.QueueType == RabbitMqQueueType.Quorum;

    private string QueueType => Quorum ? "quorum" : "classic";

    /// <summary>A queue for messages (a queue, a subscription's queue, a dead-letter queue): durable, of the
    /// configured type, dead-lettering through <see cref="TopologyNames.DeadLetterExchange"/> with its own name as
    /// routing key.</summary>
    /// <remarks>Quorum queues also get <c>x-delivery-limit</c> (<see cref="RabbitMqTransportOptions.DeliveryLimit"/>):
    /// a message that comes back that often without being settled (one RabbitMQ.Client cannot decode drops its
    /// consumer's connection each time) is dead-lettered by the broker instead of stalling the queue.</remarks>
    /// <param name="queue">The queue's name.</param>
    /// <param name="deliveryLimit">Whether to set the limit: not for the shared holding queue
    /// <see cref="TopologyNames.DelayUnroutable"/>, which no consumer reads and which keeps the definition it had
    /// before the limit, nor for a queue declared by a version without it.</param>
    public Dictionary<string, object?> Messages(string queue, bool deliveryLimit = true)
    {
        var arguments = new Dictionary<string, object?>
        {
            ["x-queue-type"] = QueueType,
            ["x-dead-letter-exchange"] = TopologyNames.DeadLetterExchange,
            ["x-dead-letter-routing-key"] = queue,
        };
        if (deliveryLimit && SetsDeliveryLimit)
        {
            arguments["x-delivery-limit"] = (long)options.DeliveryLimit;
        }

        return arguments;
    }

    /// <summary>A dead-letter queue: as <see cref="Messages"/>, but never with <c>x-delivery-limit</c>.</summary>
    /// <remarks>A dead-letter queue is where letters wait for an operator, who looks at them: a peek
    /// (<c>basic.get</c>, then the channel closed so the messages return) counts as a delivery on a quorum queue, and
    /// with a limit, peeking a few times would make the broker drop or move the letters. Nothing the library does fails
    /// there without settling (a letter that fails in its dead-letter queue is settled back into it), so the limit has
    /// nothing to catch.</remarks>
    /// <param name="queue">The dead-letter queue's name.</param>
    public Dictionary<string, object?> DeadLetters(string queue) => Messages(queue, deliveryLimit: false);

    /// <summary>Whether <see cref="Messages"/> sets <c>x-delivery-limit</c>: quorum queues with a limit configured.</summary>
    public bool SetsDeliveryLimit => Quorum && options.DeliveryLimit > 0;

    /// <summary>A reader group's checkpoint queue: the last stored offset only, gone after
    /// <see cref="RabbitMqTransportOptions.CheckpointRetention"/> without use.</summary>
    public Dictionary<string, object?> Checkpoint() => new()
    {
        ["x-queue-type"] = QueueType,
        ["x-max-length"] = 1L,
        ["x-overflow"] = "drop-head",
        ["x-expires"] = (long)options.CheckpointRetention.TotalMilliseconds,
    };

    /// <summary>A temporary queue (<see cref="DestinationNames.IsTemporaryQueue"/>): classic, removed by the broker after
    /// <see cref="RabbitMqTransportOptions.TemporaryQueueExpiry"/> without a consumer, and without a dead-letter
    /// exchange: what its owner cannot handle is dropped, and nothing outlives it.</summary>
    public Dictionary<string, object?> Temporary() => new()
    {
        ["x-queue-type"] = "classic",
        ["x-expires"] = (long)options.TemporaryQueueExpiry.TotalMilliseconds,
    };

    /// <summary>A stream.</summary>
    public static Dictionary<string, object?> Stream() => new() { ["x-queue-type"] = "stream" };

    /// <summary>A delay level's queue: every message waits the level's TTL, then is dead-lettered into
    /// <see cref="TopologyNames.DelayReturnExchange"/> with its original routing key, its target queue.</summary>
    /// <remarks>No <c>x-expires</c>: the levels are shared by every queue of the virtual host and hold retries that
    /// must come back, so they live until deleted by hand. No <c>x-dead-letter-routing-key</c>: the broker then keeps
    /// the routing key the message was published with.</remarks>
    public Dictionary<string, object?> DelayLevel(DelayLevel level)
    {
        var arguments = new Dictionary<string, object?>
        {
            ["x-queue-type"] = QueueType,
            ["x-message-ttl"] = level.Milliseconds,
            ["x-dead-letter-exchange"] = TopologyNames.DelayReturnExchange,
        };
        if (Quorum)
        {
            // Quorum queues dead-letter at most once unless told otherwise, and at-least-once needs reject-publish:
            // a retry must not be lost on its way back.
            arguments["x-dead-letter-strategy"] = "at-least-once";
            arguments["x-overflow"] = "reject-publish";
        }

        return arguments;
    }
}

namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// Deletes topics, queues and streams with what was made for them, and forgets them in <see cref="DeclaredTopology"/>
/// so that a later use declares them again.
/// </summary>
/// <remarks>The shared delay levels are not deleted with a queue: other queues use them. Retries of a deleted queue
/// still waiting there come back to a queue of the same name declared again in time, or else land in
/// <see cref="TopologyNames.DelayUnroutable"/>.</remarks>
internal sealed class TopologyDeletion(TopologyChannel channels, DeclaredTopology declared)
{
    private const string DeadLetterKey = "dead-letter:";

    /// <summary>Deletes a queue (or a subscription's queue) with its dead-letter queue, and the dead-letter queues of
    /// its dead-letter queue that this process declared (made when a dead-letter queue was consumed as a queue).</summary>
    public Task DeleteQueueAsync(string queue, CancellationToken cancellationToken) =>
        DeleteQueuesAsync(QueueFamily(queue), cancellationToken);

    public Task DeleteTopicAsync(string topic, CancellationToken cancellationToken)
    {
        declared.Forget("exchange:" + topic);
        foreach (var queue in declared.Bindings.Keys.Where(q => q.StartsWith(topic + ".", StringComparison.Ordinal)))
        {
            declared.Bindings.TryRemove(queue, out _);
        }

        return channels.RunAsync(channel => channel.ExchangeDeleteAsync(topic, false, false, cancellationToken), cancellationToken);
    }

    /// <summary>Deletes a stream with the checkpoint and dead-letter queues of the reader groups this process used.</summary>
    public Task DeleteStreamAsync(string stream, CancellationToken cancellationToken)
    {
        var names = new List<string> { stream };
        if (declared.ReaderGroups.TryRemove(stream, out var groups))
        {
            foreach (var group in groups.Keys)
            {
                var source = TopologyNames.ReaderGroupSource(stream, group);
                declared.Forget(DeadLetterKey + source);
                names.Add(TopologyNames.CheckpointQueue(stream, group));
                names.AddRange(QueueFamily(source).Skip(1));
            }
        }

        return DeleteQueuesAsync(names, cancellationToken);
    }

    /// <summary>A queue, its dead-letter queue, and the dead-letter queues made below that one.</summary>
    private List<string> QueueFamily(string queue)
    {
        var deadLetter = queue + DestinationNames.DeadLetterSuffix;
        var names = new List<string> { queue, deadLetter };
        names.AddRange(declared.Named(DeadLetterKey)
            .Where(source => source == deadLetter || source.StartsWith(deadLetter + ".", StringComparison.Ordinal))
            .Select(source => source + DestinationNames.DeadLetterSuffix));
        foreach (var source in names)
        {
            declared.Bindings.TryRemove(source, out _);
        }

        return names.Distinct(StringComparer.Ordinal).ToList();
    }

    private Task DeleteQueuesAsync(List<string> names, CancellationToken cancellationToken)
    {
        foreach (var name in names)
        {
            // Deleting a queue removes its bindings, the one to the delay return exchange included.
            declared.Forget("queue:" + name, DeadLetterKey + name, "delay-target:" + name, "checkpoint:" + name, "stream:" + name);
        }

        return channels.RunAsync(async channel =>
        {
            foreach (var name in names)
            {
                await channel.QueueDeleteAsync(name, false, false, false, cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken);
    }
}

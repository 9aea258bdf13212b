namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// The names of what the transport declares besides the destinations themselves, and the check every destination
/// name passes.
/// </summary>
internal static class TopologyNames
{
    /// <summary>The direct exchange every dead letter goes through, routed by its source queue's name.</summary>
    public const string DeadLetterExchange = "messaging.dead-letter";

    /// <summary>The direct exchange delayed retries come back through: every queue is bound to it with its own name,
    /// and the delay queues dead-letter into it with the message's original routing key (the target queue).</summary>
    public const string DelayReturnExchange = "messaging.delay.return";

    /// <summary>The alternate exchange of <see cref="DelayReturnExchange"/> (fanout) and the queue it fills: delayed
    /// retries whose queue no longer exists.</summary>
    public const string DelayUnroutable = "messaging.delay.unroutable";

    /// <summary>The prefix of the fanout exchange and the queue of each delay level: <c>messaging.delay.5s</c>.</summary>
    public const string DelayLevelPrefix = "messaging.delay.";

    private const string CheckpointSuffix = ".checkpoint";
    private const string ReaderLockSuffix = ".reader";
    private const string ActiveConsumerSuffix = ".active-consumer";

    /// <summary>The queue that holds a stream reader group's checkpoint.</summary>
    public static string CheckpointQueue(string stream, string group) => stream + "." + group + CheckpointSuffix;

    /// <summary>The single-active-consumer queue that elects a stream reader group's active reader.</summary>
    public static string ReaderLockQueue(string stream, string group) => stream + "." + group + ReaderLockSuffix;

    /// <summary>The single-active-consumer queue that elects the active consumer of a queue consumed in key order.</summary>
    public static string ActiveConsumerQueue(string queue) => queue + ActiveConsumerSuffix;

    /// <summary>The dead-letter source of a stream reader group: its dead letters go to <c>&lt;stream&gt;.&lt;group&gt;.dead-letter</c>.</summary>
    public static string ReaderGroupSource(string stream, string group) => stream + "." + group;

    /// <summary>Checks a topic, subscription, queue or stream name: the portable rule, and RabbitMQ's reservation of <c>amq.</c>.</summary>
    /// <param name="name">The name.</param>
    /// <param name="kind">What it names.</param>
    /// <param name="paramName">The parameter that carried it.</param>
    /// <exception cref="ArgumentException">The name is invalid; the message names it and the rule.</exception>
    public static void ValidateName(string name, string kind, string paramName)
    {
        DestinationNames.Validate(name, kind, paramName);
        if (name.StartsWith("amq.", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid {kind} name '{name}': RabbitMQ reserves names starting with 'amq.' for the broker.", paramName);
        }
    }
}

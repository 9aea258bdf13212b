namespace Messaging.Adapters;

/// <summary>
/// The naming rules for topics, subscriptions, queues and streams, and the names the library derives from them.
/// </summary>
/// <remarks>
/// The rules are the intersection of what the brokers accept, so that a name valid on one transport is valid on
/// all: Kafka allows <c>[A-Za-z0-9._-]</c> up to 249 characters, SQS and SNS <c>[A-Za-z0-9_-]</c> up to 80 and
/// 256 (the AWS adapter maps <c>.</c> onto <c>-</c>), RabbitMQ any UTF-8 up to 255 bytes.
/// </remarks>
public static class DestinationNames
{
    /// <summary>The longest name of anything the library creates, in characters, derived names included.</summary>
    public const int MaxLength = 200;

    /// <summary>The characters kept free for the names the library derives from a name (its dead-letter queue
    /// <c>.dead-letter</c>, and that queue's own; RabbitMQ's <c>.active-consumer</c>, <c>.checkpoint</c> and
    /// <c>.reader</c> queues).</summary>
    public const int DerivedSuffixRoom = 32;

    /// <summary>The longest name an application gives (a topic, subscription queue, queue, stream or reader group's
    /// source), in characters: <see cref="MaxLength"/> less <see cref="DerivedSuffixRoom"/>, so that every name derived
    /// from a valid one is valid too. A dead-letter queue's name (<c>&lt;queue&gt;.dead-letter</c>) may be longer.</summary>
    public const int MaxNameLength = MaxLength - DerivedSuffixRoom;

    /// <summary>The suffix of a dead-letter queue's name.</summary>
    public const string DeadLetterSuffix = ".dead-letter";

    /// <summary>The rule, in words, that <see cref="Validate"/> enforces.</summary>
    public const string Rule = "1 to 168 characters from A-Z, a-z, 0-9, '.', '_' and '-', not starting with '.' or '-' (a dead-letter queue's name may add '.dead-letter'; the library keeps 32 characters for the names it derives, within 200)";

    /// <summary>Checks a topic, subscription, queue or stream name against the portable rule.</summary>
    /// <param name="name">The name to check.</param>
    /// <param name="kind">What the name names, for the error message: <c>topic</c>, <c>queue</c>, ...</param>
    /// <param name="paramName">The parameter that carried the name.</param>
    /// <exception cref="ArgumentException">The name breaks the rule; the message names it and the rule.</exception>
    public static void Validate(string name, string kind, string paramName)
    {
        if (name is null)
        {
            throw new ArgumentNullException(paramName, $"The {kind} name must not be null.");
        }

        if (TryFindProblem(name) is { } problem)
        {
            throw new ArgumentException($"Invalid {kind} name '{name}': {problem}. A {kind} name must be {Rule}.", paramName);
        }
    }

    /// <summary>Whether <paramref name="name"/> satisfies the portable rule.</summary>
    /// <param name="name">The name to check.</param>
    /// <returns><see langword="true"/> when the name is valid.</returns>
    public static bool IsValid(string? name) => name is not null && TryFindProblem(name) is null;

    /// <summary>The queue that holds one subscription's copies of a topic's messages: <c>&lt;topic&gt;.&lt;subscription&gt;</c>.</summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="subscription">The subscription name.</param>
    /// <returns>The subscription queue's name; it can be read and sent to through <see cref="IQueue"/>.</returns>
    public static string SubscriptionQueue(string topic, string subscription)
    {
        Validate(topic, "topic", nameof(topic));
        Validate(subscription, "subscription", nameof(subscription));
        var name = topic + "." + subscription;
        Validate(name, "subscription queue", nameof(subscription));
        return name;
    }

    /// <summary>The source a stream reader group's dead letters and (on RabbitMQ) its checkpoint and lock queues are
    /// named after: <c>&lt;stream&gt;.&lt;readerGroup&gt;</c>, checked as a whole so the names derived from it fit.</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="readerGroup">The reader group name.</param>
    /// <returns>The source's name; its dead letters go to <see cref="DeadLetterQueue"/> of it.</returns>
    public static string ReaderGroupSource(string stream, string readerGroup)
    {
        Validate(stream, "stream", nameof(stream));
        Validate(readerGroup, "reader group", nameof(readerGroup));
        var name = stream + "." + readerGroup;
        Validate(name, "stream reader group (<stream>.<reader group>)", nameof(readerGroup));
        return name;
    }

    /// <summary>The dead-letter queue of a queue (or of a subscription queue): <c>&lt;queue&gt;.dead-letter</c>.</summary>
    /// <param name="queue">The queue name.</param>
    /// <returns>The dead-letter queue's name.</returns>
    public static string DeadLetterQueue(string queue)
    {
        Validate(queue, "queue", nameof(queue));

        // Derived from a valid name, so it fits: a queue's leaves room for its suffix, a dead-letter queue's for a second.
        return queue + DeadLetterSuffix;
    }

    /// <summary>Whether <paramref name="name"/> is a dead-letter queue's name (it ends with <see cref="DeadLetterSuffix"/>).</summary>
    /// <param name="name">A queue name.</param>
    /// <returns><see langword="true"/> for <c>&lt;queue&gt;.dead-letter</c>. A dead-letter queue has no dead-letter queue of
    /// its own: a letter that fails in one stays in it (see <see cref="Transport.DeadLetterQueues.TargetOf"/>).</returns>
    public static bool IsDeadLetterQueue(string? name) => name is not null && name.EndsWith(DeadLetterSuffix, StringComparison.Ordinal);

    /// <summary>What sits between a temporary queue's prefix and its 32 random hexadecimal digits:
    /// <c>&lt;prefix&gt;.tmp-&lt;32 hex digits&gt;</c> (see <see cref="NewTemporaryQueue"/>).</summary>
    public const string TemporaryQueueMarker = ".tmp-";

    private const int TemporaryQueueRandomLength = 32;

    private static readonly System.Buffers.SearchValues<char> LowerHexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>A new, unique name for a temporary queue: one owned by a single process (a request client's reply
    /// queue), <c>&lt;prefix&gt;.tmp-&lt;32 hex digits&gt;</c>.</summary>
    /// <param name="prefix">The start of the name.</param>
    /// <returns>The name. <see cref="ITopology.EnsureAsync"/> of a <see cref="Destination.Queue"/> with this name
    /// creates a temporary queue, which a transport with <see cref="TransportCapabilities.TemporaryQueues"/> removes on
    /// its own once its owner is gone (see <see cref="IsTemporaryQueue"/>).</returns>
    /// <exception cref="ArgumentException">The name would break the naming rule; the message names the prefix.</exception>
    public static string NewTemporaryQueue(string prefix) => TemporaryQueueName(prefix, nameof(prefix));

    /// <summary>See <see cref="NewTemporaryQueue"/>; errors name <paramref name="paramName"/>.</summary>
    internal static string TemporaryQueueName(string prefix, string paramName)
    {
        ArgumentNullException.ThrowIfNull(prefix, paramName);
        var name = prefix + TemporaryQueueMarker + Guid.NewGuid().ToString("N");
        Validate(name, $"temporary queue (prefix + '{TemporaryQueueMarker}' + {TemporaryQueueRandomLength} characters)", paramName);
        return name;
    }

    /// <summary>Whether <paramref name="name"/> is a temporary queue's, made by <see cref="NewTemporaryQueue"/>.</summary>
    /// <param name="name">A queue name.</param>
    /// <returns><see langword="true"/> for a temporary queue. A transport with
    /// <see cref="TransportCapabilities.TemporaryQueues"/> creates such a queue only when its owner ensures or consumes
    /// it, never when a message is sent to it (the message is dropped when the queue is gone): a reply to a requester
    /// that is gone must not bring its queue back for good. Without the capability it is created on first use like any
    /// queue.</returns>
    public static bool IsTemporaryQueue(string? name)
    {
        if (name is null || name.Length <= TemporaryQueueMarker.Length + TemporaryQueueRandomLength)
        {
            return false;
        }

        var random = name.AsSpan(name.Length - TemporaryQueueRandomLength);
        return name.AsSpan(0, name.Length - TemporaryQueueRandomLength).EndsWith(TemporaryQueueMarker, StringComparison.Ordinal)
            && !random.ContainsAnyExcept(LowerHexDigits);
    }

    private static string? TryFindProblem(string name)
    {
        if (name.Length == 0)
        {
            return "it is empty";
        }

        // A dead-letter queue is named by the library from a valid queue name, and is consumed and sent to as a queue.
        var limit = name.EndsWith(DeadLetterSuffix, StringComparison.Ordinal) ? MaxNameLength + DeadLetterSuffix.Length : MaxNameLength;
        if (name.Length > limit)
        {
            return $"it is {name.Length} characters long, over the limit of {limit} ({MaxLength} less the {MaxLength - limit} kept for the names the library derives from it, such as '<name>{DeadLetterSuffix}')";
        }

        if (name[0] is '.' or '-')
        {
            return $"it starts with '{name[0]}'";
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"the character '{c}' at position {i} is not allowed";
            }
        }

        return null;
    }
}

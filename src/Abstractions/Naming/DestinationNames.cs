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
    /// <summary>The longest name accepted, in characters, including derived suffixes.</summary>
    public const int MaxLength = 200;

    /// <summary>The suffix of a dead-letter queue's name.</summary>
    public const string DeadLetterSuffix = ".dead-letter";

    /// <summary>The rule, in words, that <see cref="Validate"/> enforces.</summary>
    public const string Rule = "1 to 200 characters from A-Z, a-z, 0-9, '.', '_' and '-', not starting with '.' or '-'";

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

    /// <summary>The dead-letter queue of a queue (or of a subscription queue): <c>&lt;queue&gt;.dead-letter</c>.</summary>
    /// <param name="queue">The queue name.</param>
    /// <returns>The dead-letter queue's name.</returns>
    public static string DeadLetterQueue(string queue)
    {
        Validate(queue, "queue", nameof(queue));
        var name = queue + DeadLetterSuffix;
        Validate(name, "dead-letter queue", nameof(queue));
        return name;
    }

    private static string? TryFindProblem(string name)
    {
        if (name.Length == 0)
        {
            return "it is empty";
        }

        if (name.Length > MaxLength)
        {
            return $"it is {name.Length} characters long, over the limit of {MaxLength}";
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

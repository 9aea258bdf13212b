namespace Messaging.Adapters;

/// <summary>
/// Names of the headers the library itself sets. All start with <c>messaging.</c>, a prefix reserved for the library.
/// </summary>
public static class EnvelopeHeaders
{
    /// <summary>The prefix of every reserved header name.</summary>
    public const string ReservedPrefix = "messaging.";

    /// <summary>The number of handling attempts already made, carried across delayed retries.</summary>
    public const string Attempt = "messaging.attempt";

    /// <summary>Why the message was dead-lettered: the handler's explicit reason or a summary of the failure.</summary>
    public const string DeadLetterReason = "messaging.dead-letter.reason";

    /// <summary>How many handling attempts were made before the message was dead-lettered.</summary>
    public const string DeadLetterAttempts = "messaging.dead-letter.attempts";

    /// <summary>The queue the message was consumed from when it was dead-lettered (a queue, or a subscription's queue).</summary>
    public const string DeadLetterSource = "messaging.dead-letter.source";

    /// <summary>The full type name of the exception that made the message fail, when one did.</summary>
    public const string DeadLetterExceptionType = "messaging.dead-letter.exception-type";

    /// <summary>The message of the exception that made the message fail, when one did.</summary>
    public const string DeadLetterExceptionMessage = "messaging.dead-letter.exception-message";

    /// <summary>When the message was dead-lettered, in ISO 8601 round-trip form.</summary>
    public const string DeadLetterTime = "messaging.dead-letter.time";

    /// <summary>Whether <paramref name="name"/> is one of the library's reserved header names.</summary>
    /// <param name="name">A header name.</param>
    /// <returns><see langword="true"/> when the name starts with <see cref="ReservedPrefix"/>.</returns>
    public static bool IsReserved(string name) => name.StartsWith(ReservedPrefix, StringComparison.Ordinal);
}

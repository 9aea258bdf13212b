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

    /// <summary>Where the message was consumed from when it was dead-lettered: a queue, a subscription's queue
    /// (<see cref="DestinationNames.SubscriptionQueue"/>) or, with <see cref="DeadLetterReaderGroup"/>, a stream.</summary>
    public const string DeadLetterSource = "messaging.dead-letter.source";

    /// <summary>The reader group that dead-lettered the message, when it was read from a stream; such a dead letter
    /// cannot be re-sent (a stream cannot deliver to one reader group only) but is still in the stream at
    /// <see cref="DeadLetterStreamPartition"/> and <see cref="DeadLetterStreamOffset"/>.</summary>
    public const string DeadLetterReaderGroup = "messaging.dead-letter.reader-group";

    /// <summary>The stream partition the dead-lettered message is in, when it was read from a stream.</summary>
    public const string DeadLetterStreamPartition = "messaging.dead-letter.stream-partition";

    /// <summary>The offset of the dead-lettered message in its stream partition, when it was read from a stream.</summary>
    public const string DeadLetterStreamOffset = "messaging.dead-letter.stream-offset";

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

namespace Messaging.Adapters;

/// <summary>
/// What a transport must do with a delivery after <see cref="HandlerPipeline"/> ran its handler.
/// </summary>
public enum HandlingOutcome
{
    /// <summary>The handler succeeded (or the message was filtered out or a duplicate): acknowledge it.</summary>
    Acknowledge = 0,

    /// <summary>Deliver <see cref="HandlingResult.Message"/> again after <see cref="HandlingResult.RetryDelay"/>, then acknowledge this delivery.</summary>
    RetryLater = 1,

    /// <summary>Send <see cref="HandlingResult.Message"/> (which carries the reason headers) to the dead-letter queue, then acknowledge this delivery.</summary>
    DeadLetter = 2,

    /// <summary>The consumer is stopping and the handler gave up: do not acknowledge; release the message for redelivery.</summary>
    Release = 3,
}

/// <summary>
/// The outcome of handling one delivery, with the envelope to send on where the outcome asks for one.
/// </summary>
public readonly record struct HandlingResult
{
    /// <summary>What to do with the delivery.</summary>
    public HandlingOutcome Outcome { get; init; }

    /// <summary>For <see cref="HandlingOutcome.RetryLater"/>, the envelope to redeliver (it carries
    /// <see cref="EnvelopeHeaders.Attempt"/>); for <see cref="HandlingOutcome.DeadLetter"/>, the envelope to
    /// dead-letter (it carries the reason headers); otherwise <see langword="null"/>.</summary>
    public Envelope? Message { get; init; }

    /// <summary>For <see cref="HandlingOutcome.RetryLater"/>, how long to wait before redelivering.</summary>
    public TimeSpan RetryDelay { get; init; }

    /// <summary>How many handling attempts have been made so far, this delivery's included.</summary>
    public int Attempts { get; init; }

    /// <summary>The result that acknowledges the delivery.</summary>
    /// <param name="attempts">The attempts made.</param>
    /// <returns>The result.</returns>
    public static HandlingResult Acknowledged(int attempts) => new() { Outcome = HandlingOutcome.Acknowledge, Attempts = attempts };
}

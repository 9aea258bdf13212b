namespace Messaging.Adapters;

/// <summary>
/// What one run of <see cref="IDeadLetters.RedriveAsync"/> did: the letters it re-sent, those it left in the
/// dead-letter queue and why, and why it ended.
/// </summary>
/// <param name="Redriven">The ids of the letters re-sent to their source, in the order they were sent.</param>
/// <param name="Kept">The letters left in the dead-letter queue (re-sent to it, same id and headers), with why.</param>
/// <param name="Ended">Why the run ended.</param>
public sealed record DeadLetterRedriveResult(IReadOnlyList<string> Redriven, IReadOnlyList<KeptDeadLetter> Kept, RedriveEnd Ended)
{
    /// <summary>How many letters were re-sent to their source.</summary>
    public int RedrivenCount => Redriven.Count;
}

/// <summary>
/// A letter a redrive left in the dead-letter queue.
/// </summary>
/// <param name="Id">The message's id.</param>
/// <param name="Type">The message's type.</param>
/// <param name="Reason">Why it stayed: it did not match the run's filter, or the redrive refused it (a stream reader
/// group's letter, a letter without a valid source, a send that failed), in words.</param>
/// <param name="Refused">Whether the redrive refused it (rather than the filter passing it over).</param>
public sealed record KeptDeadLetter(string Id, string Type, string Reason, bool Refused);

/// <summary>
/// Why a redrive run ended.
/// </summary>
public enum RedriveEnd
{
    /// <summary>It took every letter the queue held when it started (or none came for
    /// <see cref="DeadLetterRedriveOptions.IdleTimeout"/>): nothing is left that the run has not seen.</summary>
    Emptied = 0,

    /// <summary>It re-sent <see cref="DeadLetterRedriveOptions.MaxMessages"/> letters; the rest stay in the queue.</summary>
    LimitReached = 1,

    /// <summary>A letter it had left in the queue came back and the run could not go on: without a count to stop at,
    /// at once; with one, after one more lap of putting such letters back without reaching the count (the broker does
    /// not keep one order, or letters were taken or added meanwhile). What the run did not reach stays in the queue,
    /// and a new run goes on with it.</summary>
    CameAround = 2,
}

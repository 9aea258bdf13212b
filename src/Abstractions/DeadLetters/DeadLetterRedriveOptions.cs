namespace Messaging.Adapters;

/// <summary>
/// What one run of <see cref="IDeadLetters.RedriveAsync"/> re-sends: how many letters, which ones, and when it takes
/// the dead-letter queue for empty.
/// </summary>
public sealed record DeadLetterRedriveOptions
{
    /// <summary>The most letters to re-send; <see langword="null"/> to re-send every matching letter, until the queue
    /// holds none that the run has not seen.</summary>
    /// <value>The default value is <see langword="null"/>. Valid values are 1 to 1,000,000.</value>
    public int? MaxMessages { get; init; }

    /// <summary>Only letters of these message types (<see cref="Envelope.Type"/>, compared exactly) are re-sent.</summary>
    /// <value>The default value is <see langword="null"/>: every type.</value>
    public IReadOnlyCollection<string>? MessageTypes { get; init; }

    /// <summary>Only letters whose reason (<see cref="DeadLetter.Reason"/>) contains this text, ignoring case, are re-sent.</summary>
    /// <value>The default value is <see langword="null"/>: any reason.</value>
    public string? ReasonContains { get; init; }

    /// <summary>Only letters for which this returns <see langword="true"/> are re-sent (with the other filters: all must hold).</summary>
    /// <value>The default value is <see langword="null"/>: every letter.</value>
    public Func<DeadLetter, bool>? Where { get; init; }

    /// <summary>How long the run waits for a next letter before it takes the queue for empty, where the count it took
    /// at the start has not ended it already (a letter taken by another consumer meanwhile, an estimated count).</summary>
    /// <value>The default value is 10 seconds. Valid values are 100 milliseconds to 10 minutes.</value>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether a letter matches <see cref="MessageTypes"/>, <see cref="ReasonContains"/> and <see cref="Where"/>.</summary>
    /// <param name="letter">The letter.</param>
    /// <returns><see langword="true"/> when every filter set holds.</returns>
    public bool Matches(DeadLetter letter)
    {
        ArgumentNullException.ThrowIfNull(letter);
        return (MessageTypes is null || MessageTypes.Contains(letter.Type, StringComparer.Ordinal))
            && (ReasonContains is null || (letter.Reason?.Contains(ReasonContains, StringComparison.OrdinalIgnoreCase) ?? false))
            && (Where is null || Where(letter));
    }

    /// <summary>Checks the options and throws an error that names the bad value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (MaxMessages is < 1 or > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessages), MaxMessages, $"{nameof(DeadLetterRedriveOptions)}.{nameof(MaxMessages)} must be 1..1000000 (or null for all), was {MaxMessages}.");
        }

        if (IdleTimeout < TimeSpan.FromMilliseconds(100) || IdleTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, $"{nameof(DeadLetterRedriveOptions)}.{nameof(IdleTimeout)} must be 00:00:00.1..00:10:00, was {IdleTimeout}.");
        }
    }
}

namespace Messaging.Adapters;

/// <summary>
/// How a failing message is retried before it is dead-lettered: a few immediate retries, then delayed retries with
/// exponential backoff, up to a maximum number of attempts.
/// </summary>
/// <remarks>
/// Attempt <c>n + 1</c> follows the failure of attempt <c>n</c>. It runs at once while <c>n</c> is at most
/// <see cref="ImmediateRetries"/>; after that it waits <c>InitialDelay × BackoffMultiplier^k</c> (capped at
/// <see cref="MaxDelay"/>), where <c>k</c> counts the delayed retries before it. When attempt
/// <see cref="MaxAttempts"/> fails, the message goes to the dead-letter queue. Exceptions rejected by
/// <see cref="ShouldRetry"/>, <see cref="DeadLetterException"/> and <see cref="MessageDeserializationException"/>
/// dead-letter at once.
/// </remarks>
public sealed record RetryPolicy
{
    /// <summary>The default policy: 5 attempts, 2 of them immediate retries, then 1 s, 2 s delays.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>No retries: the first failure dead-letters the message.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 1, ImmediateRetries = 0 };

    /// <summary>The total number of handling attempts, the first included.</summary>
    /// <value>The default value is 5. Valid values are 1 to 1,000.</value>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>How many retries run at once, before the first delayed retry.</summary>
    /// <value>The default value is 2. Valid values are 0 to 100.</value>
    public int ImmediateRetries { get; init; } = 2;

    /// <summary>The delay before the first delayed retry.</summary>
    /// <value>The default value is 1 second. Valid values are 0 to 1 day.</value>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The factor each further delay is multiplied by.</summary>
    /// <value>The default value is 2. Valid values are 1 to 100.</value>
    public double BackoffMultiplier { get; init; } = 2;

    /// <summary>The longest delay between two attempts.</summary>
    /// <value>The default value is 5 minutes. Valid values are 0 to 1 day.</value>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Decides whether an exception is worth retrying; <see langword="false"/> dead-letters at once.</summary>
    /// <value>The default value is <see langword="null"/>: every exception is retried (except the two that never are).</value>
    public Func<Exception, bool>? ShouldRetry { get; init; }

    /// <summary>How long to wait before attempt <paramref name="nextAttempt"/>, or <see langword="null"/> when there is none.</summary>
    /// <param name="nextAttempt">The 1-based number of the attempt about to be made; 2 or more.</param>
    /// <returns><see cref="TimeSpan.Zero"/> for an immediate retry, the backoff delay for a delayed one, or
    /// <see langword="null"/> when <see cref="MaxAttempts"/> is used up.</returns>
    public TimeSpan? DelayBefore(int nextAttempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nextAttempt, 2);
        if (nextAttempt > MaxAttempts)
        {
            return null;
        }

        var failed = nextAttempt - 1;
        if (failed <= ImmediateRetries)
        {
            return TimeSpan.Zero;
        }

        var delayedIndex = failed - ImmediateRetries - 1;
        var ticks = InitialDelay.Ticks * Math.Pow(BackoffMultiplier, delayedIndex);
        return ticks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Checks the policy and throws an error that names the bad value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (FindProblems(nameof(RetryPolicy) + ".") is [var first, ..])
        {
            throw new ArgumentOutOfRangeException(first.Name, first.Message);
        }
    }

    /// <summary>Lists every out-of-range value, each message starting with <paramref name="keyPrefix"/> and the property name.</summary>
    /// <param name="keyPrefix">What to put before each property name, for example <c>Messaging:Retry:</c>.</param>
    /// <returns>The problems; empty when the policy is valid.</returns>
    public IReadOnlyList<(string Name, string Message)> FindProblems(string keyPrefix)
    {
        var problems = new List<(string, string)>();
        Check(MaxAttempts is >= 1 and <= 1000, nameof(MaxAttempts), MaxAttempts, "1..1000");
        Check(ImmediateRetries is >= 0 and <= 100, nameof(ImmediateRetries), ImmediateRetries, "0..100");
        Check(InitialDelay >= TimeSpan.Zero && InitialDelay <= TimeSpan.FromDays(1), nameof(InitialDelay), InitialDelay, "00:00:00..1.00:00:00");
        Check(BackoffMultiplier is >= 1 and <= 100, nameof(BackoffMultiplier), BackoffMultiplier, "1..100");
        Check(MaxDelay >= TimeSpan.Zero && MaxDelay <= TimeSpan.FromDays(1), nameof(MaxDelay), MaxDelay, "00:00:00..1.00:00:00");
        return problems;

        void Check(bool ok, string name, object value, string range)
        {
            if (!ok)
            {
                problems.Add((name, $"{keyPrefix}{name} must be {range}, was {value}."));
            }
        }
    }
}

namespace Messaging.Adapters.Transport;

/// <summary>
/// What a transport's options validator found wrong, each message naming the full configuration key: the checks every
/// transport shares (a time range, the default retry policy) written once.
/// </summary>
/// <param name="prefix">The options' section with its separator, e.g. <c>Messaging:Kafka:</c>.</param>
public sealed class OptionProblems(string prefix)
{
    private readonly List<string> _messages = [];

    /// <summary>The problems found, in the order they were found.</summary>
    public IReadOnlyList<string> Messages => _messages;

    /// <summary>Adds a problem; the message names its key.</summary>
    /// <param name="message">The message.</param>
    public void Add(string message) => _messages.Add(message);

    /// <summary>Checks that a time option lies within its bounds (both included).</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="min">The smallest valid value.</param>
    /// <param name="max">The largest valid value.</param>
    /// <param name="key">The option's name under the section.</param>
    public void Range(TimeSpan value, TimeSpan min, TimeSpan max, string key)
    {
        if (value < min || value > max)
        {
            _messages.Add($"{prefix}{key} must be {min}..{max}, was {value}.");
        }
    }

    /// <summary>Checks <see cref="TransportOptions.DefaultRetry"/>: set, and valid as <c>Messaging:Retry</c>, where it
    /// is configured.</summary>
    /// <param name="policy">The options' default retry policy.</param>
    public void DefaultRetry(RetryPolicy? policy)
    {
        if (policy is null)
        {
            _messages.Add($"{prefix}DefaultRetry must not be null.");
        }
        else
        {
            _messages.AddRange(policy.FindProblems("Messaging:Retry:").Select(p => p.Message));
        }
    }
}

namespace Messaging.Adapters;

/// <summary>
/// Selects which of a topic's messages a subscription keeps: by message type, by header values, or both.
/// </summary>
/// <remarks>A message matches when its type is one of <see cref="MessageTypes"/> (or that set is empty) and every
/// entry of <see cref="Headers"/> is present on the message with exactly that value (ordinal comparison).</remarks>
public sealed record SubscriptionFilter
{
    /// <summary>The message types kept; empty keeps every type.</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyCollection<string> MessageTypes { get; init; } = [];

    /// <summary>Header values every kept message must carry.</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>A filter that keeps the given message types.</summary>
    /// <param name="messageTypes">The message types to keep.</param>
    /// <returns>The filter.</returns>
    public static SubscriptionFilter ForTypes(params string[] messageTypes) => new() { MessageTypes = messageTypes };

    /// <summary>A filter that keeps messages carrying the given header value.</summary>
    /// <param name="name">The header name.</param>
    /// <param name="value">The value it must have.</param>
    /// <returns>The filter.</returns>
    public static SubscriptionFilter ForHeader(string name, string value) => new() { Headers = new Dictionary<string, string> { [name] = value } };

    /// <summary>Whether a message passes this filter.</summary>
    /// <param name="message">The message.</param>
    /// <returns><see langword="true"/> when the subscription keeps it.</returns>
    public bool Matches(Envelope message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (MessageTypes.Count > 0 && !MessageTypes.Contains(message.Type, StringComparer.Ordinal))
        {
            return false;
        }

        foreach (var (name, value) in Headers)
        {
            if (!message.Headers.TryGetValue(name, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether two filters keep the same messages (same type set and header values).</summary>
    /// <param name="other">The other filter.</param>
    /// <returns><see langword="true"/> when they are equivalent.</returns>
    public bool IsEquivalentTo(SubscriptionFilter? other) =>
        other is not null
        && MessageTypes.ToHashSet(StringComparer.Ordinal).SetEquals(other.MessageTypes)
        && Headers.Count == other.Headers.Count
        && Headers.All(h => other.Headers.TryGetValue(h.Key, out var v) && string.Equals(v, h.Value, StringComparison.Ordinal));
}

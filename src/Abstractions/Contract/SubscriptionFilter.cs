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

    /// <summary>A filter that keeps one message class, by its type name: its <see cref="MessageTypeAttribute"/>, else
    /// its full CLR name (as <see cref="MessageTypeMap"/> names a class it was not given another name for).</summary>
    /// <typeparam name="T1">The message class to keep.</typeparam>
    /// <returns>The filter.</returns>
    /// <remarks>Unlike <see cref="ForTypes(string[])"/>, a typo does not compile. A class mapped to another name with
    /// <see cref="MessageTypeMap.Map{T}"/> is filtered by <c>ForTypes(codec.Types.GetName(typeof(T)))</c>; the typed
    /// hosted subscriptions (<c>AddSubscription&lt;TMessage, THandler&gt;</c>) use the application's map by themselves.</remarks>
    public static SubscriptionFilter ForTypes<T1>() => ForTypes(MessageTypeMap.DefaultName(typeof(T1)));

    /// <summary>A filter that keeps two message classes, by their type names (see <see cref="ForTypes{T1}"/>).</summary>
    /// <typeparam name="T1">A message class to keep.</typeparam>
    /// <typeparam name="T2">Another message class to keep.</typeparam>
    /// <returns>The filter.</returns>
    public static SubscriptionFilter ForTypes<T1, T2>() =>
        ForTypes(MessageTypeMap.DefaultName(typeof(T1)), MessageTypeMap.DefaultName(typeof(T2)));

    /// <summary>A filter that keeps three message classes, by their type names (see <see cref="ForTypes{T1}"/>).</summary>
    /// <typeparam name="T1">A message class to keep.</typeparam>
    /// <typeparam name="T2">Another message class to keep.</typeparam>
    /// <typeparam name="T3">A third message class to keep.</typeparam>
    /// <returns>The filter.</returns>
    public static SubscriptionFilter ForTypes<T1, T2, T3>() =>
        ForTypes(MessageTypeMap.DefaultName(typeof(T1)), MessageTypeMap.DefaultName(typeof(T2)), MessageTypeMap.DefaultName(typeof(T3)));

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

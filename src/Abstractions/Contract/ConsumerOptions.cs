namespace Messaging.Adapters;

/// <summary>
/// How a queue consumer takes messages: how many at once, in which order, and how failures are retried.
/// </summary>
public record ConsumerOptions
{
    /// <summary>The largest number of messages this consumer handles at the same time (its prefetch).</summary>
    /// <value>The default value is 16. Valid values are 1 to 10,000.</value>
    public int MaxInFlight { get; init; } = 16;

    /// <summary>Whether messages with the same <see cref="Envelope.Key"/> are handled one at a time, in order.</summary>
    /// <value>The default value is <see cref="MessageOrdering.None"/>.</value>
    /// <remarks><see cref="MessageOrdering.ByKey"/> needs <see cref="TransportCapabilities.OrderingByKey"/>; without it
    /// the consumer does not start and <see cref="CapabilityNotSupportedException"/> is thrown. With it, a message that
    /// waits for a delayed retry holds back the later messages of its key.</remarks>
    public MessageOrdering Ordering { get; init; } = MessageOrdering.None;

    /// <summary>The retry policy for handler failures.</summary>
    /// <value>The default value is <see langword="null"/>: the transport's default policy (configured under <c>Messaging:Retry</c>).</value>
    public RetryPolicy? Retry { get; init; }

    /// <summary>Checks the options and throws an error that names the bad value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public virtual void Validate()
    {
        if (MaxInFlight is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxInFlight), MaxInFlight, $"{GetType().Name}.{nameof(MaxInFlight)} must be 1..10000, was {MaxInFlight}.");
        }

        if (!Enum.IsDefined(Ordering))
        {
            throw new ArgumentOutOfRangeException(nameof(Ordering), Ordering, $"{GetType().Name}.{nameof(Ordering)} must be one of {string.Join(", ", Enum.GetNames<MessageOrdering>())}, was {Ordering}.");
        }

        Retry?.Validate();
    }
}

/// <summary>
/// How a subscription consumer takes messages; adds the subscription's filter to <see cref="ConsumerOptions"/>.
/// </summary>
public sealed record SubscriptionOptions : ConsumerOptions
{
    /// <summary>Which of the topic's messages the subscription keeps.</summary>
    /// <value>The default value is <see langword="null"/>: every message.</value>
    /// <remarks>The filter belongs to the subscription, not the consumer: subscribing again with another filter
    /// replaces it for every consumer of the subscription.</remarks>
    public SubscriptionFilter? Filter { get; init; }
}

/// <summary>
/// Whether a consumer keeps the order of messages that share a key.
/// </summary>
public enum MessageOrdering
{
    /// <summary>No order is promised; messages are handled concurrently up to the in-flight limit.</summary>
    None = 0,

    /// <summary>Messages with the same <see cref="Envelope.Key"/> are handled one at a time in publish order;
    /// messages with different keys (or none) still run concurrently.</summary>
    ByKey = 1,
}

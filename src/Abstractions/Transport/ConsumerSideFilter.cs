namespace Messaging.Adapters.Transport;

/// <summary>
/// Applies a subscription filter in the consumer, for transports without
/// <see cref="TransportCapabilities.ServerSideFiltering"/> (or a filter the broker cannot express): unmatched messages
/// are acknowledged without calling the handler.
/// </summary>
public static class ConsumerSideFilter
{
    /// <summary>Wraps a handler so that it only sees the messages the filter keeps.</summary>
    /// <param name="handler">The application's handler.</param>
    /// <param name="filter">The subscription's filter; <see langword="null"/> keeps every message.</param>
    /// <returns><paramref name="handler"/> itself when there is no filter; otherwise a handler that returns at once
    /// (so the message is acknowledged) for a message the filter does not keep.</returns>
    public static MessageHandler Wrap(MessageHandler handler, SubscriptionFilter? filter)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (filter is null)
        {
            return handler;
        }

        return (message, cancellationToken) => filter.Matches(message.Envelope) ? handler(message, cancellationToken) : ValueTask.CompletedTask;
    }
}

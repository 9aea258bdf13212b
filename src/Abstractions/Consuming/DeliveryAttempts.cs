using System.Globalization;

namespace Messaging.Adapters;

/// <summary>
/// Reads and writes the attempt count a message carries across delayed retries (<see cref="EnvelopeHeaders.Attempt"/>).
/// </summary>
public static class DeliveryAttempts
{
    /// <summary>The 1-based attempt a delivery of this envelope is: one more than the attempts recorded on it.</summary>
    /// <param name="message">The received envelope.</param>
    /// <returns>1 for a message never tried, otherwise the recorded count plus one.</returns>
    public static int NextAttempt(Envelope message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Headers.TryGetValue(EnvelopeHeaders.Attempt, out var text)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var made)
            && made is >= 0 and < int.MaxValue
            ? made + 1
            : 1;
    }

    /// <summary>The 1-based attempt a delivery is, counting both the attempts recorded on the envelope (delayed retries
    /// that went through the broker as new messages) and the broker's own count of earlier deliveries of this one
    /// (releases, consumer crashes), so that the count survives both.</summary>
    /// <param name="message">The received envelope.</param>
    /// <param name="deliveryCount">How many times the broker delivered it, this delivery included; <see langword="null"/>
    /// where the broker does not count.</param>
    /// <returns>The attempt.</returns>
    public static int NextAttempt(Envelope message, int? deliveryCount)
    {
        var earlier = deliveryCount is > 1 ? deliveryCount.Value - 1 : 0;
        var attempt = NextAttempt(message);
        return attempt > int.MaxValue - earlier ? int.MaxValue : attempt + earlier;
    }

    /// <summary>Returns a copy of the envelope recording that <paramref name="attemptsMade"/> attempts were made.</summary>
    /// <param name="message">The envelope.</param>
    /// <param name="attemptsMade">How many attempts have been made.</param>
    /// <returns>The new envelope.</returns>
    public static Envelope Record(Envelope message, int attemptsMade)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.WithHeader(EnvelopeHeaders.Attempt, attemptsMade.ToString(CultureInfo.InvariantCulture));
    }
}

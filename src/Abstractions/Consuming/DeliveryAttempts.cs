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

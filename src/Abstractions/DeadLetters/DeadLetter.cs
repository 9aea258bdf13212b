using System.Globalization;

namespace Messaging.Adapters;

/// <summary>
/// A message in a dead-letter queue, with what its dead-letter headers say: why, where from, after how many attempts.
/// </summary>
/// <param name="Envelope">The message as it is in the dead-letter queue (id, type, body, every header).</param>
public sealed record DeadLetter(Envelope Envelope)
{
    /// <summary>The message's id.</summary>
    public string Id => Envelope.Id;

    /// <summary>The message's type.</summary>
    public string Type => Envelope.Type;

    /// <summary>Why it was dead-lettered (<see cref="EnvelopeHeaders.DeadLetterReason"/>); <see langword="null"/> when not said.</summary>
    public string? Reason => Header(EnvelopeHeaders.DeadLetterReason);

    /// <summary>The queue or subscription queue it failed in (<see cref="EnvelopeHeaders.DeadLetterSource"/>), where a
    /// redrive sends it; a stream's name for a reader group's letter.</summary>
    public string? Source => Header(EnvelopeHeaders.DeadLetterSource);

    /// <summary>How many attempts were made (<see cref="EnvelopeHeaders.DeadLetterAttempts"/>).</summary>
    public int? Attempts => int.TryParse(Header(EnvelopeHeaders.DeadLetterAttempts), NumberStyles.None, CultureInfo.InvariantCulture, out var attempts) ? attempts : null;

    /// <summary>When it was dead-lettered (<see cref="EnvelopeHeaders.DeadLetterTime"/>).</summary>
    public DateTimeOffset? DeadLetteredAt => DateTimeOffset.TryParse(Header(EnvelopeHeaders.DeadLetterTime), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time) ? time : null;

    /// <summary>The stream reader group that dead-lettered it (<see cref="EnvelopeHeaders.DeadLetterReaderGroup"/>);
    /// <see langword="null"/> for a queue's or subscription's letter.</summary>
    public string? ReaderGroup => Header(EnvelopeHeaders.DeadLetterReaderGroup);

    /// <summary>The full name of the exception type of the last failure (<see cref="EnvelopeHeaders.DeadLetterExceptionType"/>).</summary>
    public string? ExceptionType => Header(EnvelopeHeaders.DeadLetterExceptionType);

    /// <summary>Why a redrive cannot re-send it, or <see langword="null"/> when it can: a stream reader group's letter
    /// (a stream cannot deliver to one group; the text says where to read it again from), or one without a valid
    /// <see cref="Source"/>.</summary>
    public string? RedriveRefusal
    {
        get
        {
            if (ReaderGroup is { } group)
            {
                return $"Cannot re-send message '{Id}': reader group '{group}' of stream '{Source}' dead-lettered it, and a stream "
                    + "cannot deliver a message to one reader group only. It is still in the stream at partition "
                    + $"{Header(EnvelopeHeaders.DeadLetterStreamPartition) ?? "?"}, offset {Header(EnvelopeHeaders.DeadLetterStreamOffset) ?? "?"}: "
                    + "read it again from there (StreamPosition.AtOffset) once the cause is fixed.";
            }

            return DestinationNames.IsValid(Source) && !DestinationNames.IsDeadLetterQueue(Source)
                ? null
                : $"Cannot re-send message '{Id}': header '{EnvelopeHeaders.DeadLetterSource}' is missing or not a valid queue name.";
        }
    }

    /// <summary>The message as a redrive sends it to <see cref="Source"/>: the same id, type, body and headers, less the
    /// library's dead-letter and attempt headers, so it starts afresh.</summary>
    /// <returns>The envelope to re-send.</returns>
    public Envelope ToRedriven() => Envelope with
    {
        Headers = Envelope.Headers
            .Where(h => !h.Key.StartsWith(DeadLetterHeaderPrefix, StringComparison.Ordinal) && h.Key != EnvelopeHeaders.Attempt)
            .ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal),
    };

    private const string DeadLetterHeaderPrefix = "messaging.dead-letter.";

    private string? Header(string name) => Envelope.Headers.TryGetValue(name, out var value) ? value : null;
}

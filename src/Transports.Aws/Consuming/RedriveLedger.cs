using System.Collections.Concurrent;

namespace Messaging.Adapters.Aws.Consuming;

/// <summary>
/// The dead letters this transport's consumers received from dead-letter queues, by envelope id, so that sending one
/// of them again to a FIFO queue (a redrive: <see cref="DeadLetterRedrive"/>) is not taken for a duplicate of its first
/// send: SQS drops a FIFO message whose deduplication id (the message id) it has seen in the last 5 minutes. Such a
/// send carries <c>redrive-&lt;the dead letter's SQS message id&gt;</c> instead: new for each dead letter, and the same
/// when one dead letter is received and re-sent twice (so that is deduplicated, as it should be).
/// </summary>
/// <remarks>A redrive reads the dead-letter queue and sends through the same transport, so this process saw the
/// receive. Entries older than SQS's deduplication interval are of no use (the message id is a fresh deduplication id
/// again by then) and are dropped.</remarks>
internal sealed class RedriveLedger(TimeProvider time)
{
    private const int MaxEntries = 100_000;

    /// <summary>SQS FIFO's deduplication interval.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, (string DeduplicationId, long ReceivedAt)> _received = new(StringComparer.Ordinal);

    /// <summary>Notes a message received from a dead-letter queue.</summary>
    public void Received(string envelopeId, string sqsMessageId)
    {
        if (_received.Count >= MaxEntries)
        {
            DropExpired();
        }

        _received[envelopeId] = ("redrive-" + sqsMessageId, time.GetTimestamp());
    }

    /// <summary>The deduplication id a send of <paramref name="envelopeId"/> to a FIFO queue carries instead of the
    /// message id, or <see langword="null"/> when it is no dead letter received in the last 5 minutes.</summary>
    public string? DeduplicationIdOf(string envelopeId) =>
        _received.TryGetValue(envelopeId, out var entry) && time.GetElapsedTime(entry.ReceivedAt) < Window ? entry.DeduplicationId : null;

    private void DropExpired()
    {
        foreach (var (id, entry) in _received)
        {
            if (time.GetElapsedTime(entry.ReceivedAt) >= Window)
            {
                _received.TryRemove(id, out _);
            }
        }

        if (_received.Count >= MaxEntries)
        {
            // More dead letters in 5 minutes than the bound: those forgotten fall back to the message id.
            _received.Clear();
        }
    }
}

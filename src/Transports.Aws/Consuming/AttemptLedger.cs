using System.Collections.Concurrent;

namespace Messaging.Adapters.Aws.Consuming;

/// <summary>
/// The handling attempts made on messages this transport gave back to SQS (a delayed retry through the visibility
/// timeout, a release, a poll abandoned by a stop), by SQS message id: SQS keeps no count of attempts on the message
/// itself (its receive count also counts receives nobody handled), so the next receive in this process reads the exact
/// count here. Receives in another process fall back to the receive count.
/// </summary>
/// <remarks>Entries are taken out on the next receive; a ledger that grows past its bound (messages given back and
/// never received again here) is cleared, and those messages fall back to the estimate.</remarks>
internal sealed class AttemptLedger
{
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<string, int> _made = new(StringComparer.Ordinal);

    public void Record(string messageId, int attemptsMade)
    {
        if (_made.Count >= MaxEntries)
        {
            _made.Clear();
        }

        _made[messageId] = Math.Max(0, attemptsMade);
    }

    public int? Made(string messageId) => _made.TryGetValue(messageId, out var made) ? made : null;

    public void Forget(string messageId) => _made.TryRemove(messageId, out _);
}

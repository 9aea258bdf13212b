using System.Collections.Concurrent;

namespace Messaging.Adapters.RabbitMq.Tests.Support;

/// <summary>
/// A Jepsen-style checker over message ids: what the publishers know (confirmed, or outcome unknown because the publish
/// threw) against what the consumers saw, counted as lost, duplicated, unexpected and recovered.
/// </summary>
internal sealed class DeliveryChecker
{
    private readonly ConcurrentDictionary<string, byte> _confirmed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _unknown = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _received = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private TaskCompletionSource? _allConfirmedReceived;

    public int ConfirmedCount => _confirmed.Count;

    public void Confirmed(string id) => _confirmed[id] = 0;

    public void Unknown(string id) => _unknown[id] = 0;

    public void Received(string id)
    {
        _received.AddOrUpdate(id, 1, (_, n) => n + 1);
        lock (_gate)
        {
            if (_allConfirmedReceived is { } waiter && _confirmed.Keys.All(_received.ContainsKey))
            {
                waiter.TrySetResult();
            }
        }
    }

    /// <summary>Waits until every confirmed id was received at least once, or the timeout passes.</summary>
    public async Task<bool> WaitForAllConfirmedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task waiting;
        lock (_gate)
        {
            if (_confirmed.Keys.All(_received.ContainsKey))
            {
                return true;
            }

            _allConfirmedReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting = _allConfirmedReceived.Task;
        }

        try
        {
            await waiting.WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public Result Check()
    {
        var lost = _confirmed.Keys.Where(id => !_received.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
        var unexpected = _received.Keys.Where(id => !_confirmed.ContainsKey(id) && !_unknown.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
        var recovered = _unknown.Keys.Count(id => !_confirmed.ContainsKey(id) && _received.ContainsKey(id));
        var duplicates = _received.Values.Sum(n => n - 1);
        var duplicatedIds = _received.Count(r => r.Value > 1);
        return new Result(_confirmed.Count, _unknown.Count, _received.Count, _received.Values.Sum(), lost, duplicates, duplicatedIds, unexpected, recovered);
    }

    public sealed record Result(int Confirmed, int Unknown, int ReceivedDistinct, int Deliveries, IReadOnlyList<string> Lost, int Duplicates, int DuplicatedIds, IReadOnlyList<string> Unexpected, int Recovered)
    {
        public override string ToString()
        {
            var lost = Lost.Count > 0 ? "; lost ids: " + string.Join(", ", Lost.Take(20)) : "";
            var unexpected = Unexpected.Count > 0 ? "; unexpected ids: " + string.Join(", ", Unexpected.Take(20)) : "";
            return FormattableString.Invariant(
                $"confirmed={Confirmed} unknown-outcome={Unknown} received(distinct)={ReceivedDistinct} deliveries={Deliveries} lost={Lost.Count} duplicates={Duplicates} (ids delivered more than once: {DuplicatedIds}) unexpected={Unexpected.Count} recovered={Recovered}{lost}{unexpected}");
        }
    }
}

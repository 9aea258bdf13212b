using System.Collections.Concurrent;

namespace Messaging.Adapters.Aws.Tests.Support;

/// <summary>
/// Counts deliveries by message id against what was sent: lost (sent, never handled), duplicated (handled more than
/// once) and unexpected (handled, never sent); prints the counts into the test's output.
/// </summary>
internal sealed class DeliveryCount(IEnumerable<string> sent)
{
    private readonly HashSet<string> _sent = [.. sent];
    private readonly ConcurrentDictionary<string, int> _handled = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _allSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Handled => _handled.Values.Sum();

    public void Record(string id)
    {
        _handled.AddOrUpdate(id, 1, (_, n) => n + 1);
        if (_sent.All(_handled.ContainsKey))
        {
            _allSeen.TrySetResult();
        }
    }

    /// <summary>Waits until every sent id was handled at least once, or the timeout; then a quiet period for duplicates.</summary>
    public async Task SettleAsync(TimeSpan timeout, TimeSpan quiet, CancellationToken cancellationToken)
    {
        try
        {
            await _allSeen.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Reported as lost below.
        }

        await Task.Delay(quiet, cancellationToken);
    }

    /// <summary>Prints the counts and asserts nothing was lost and nothing unexpected arrived.</summary>
    public (int Lost, int Duplicates, int Unexpected) AssertNoneLost(string scenario)
    {
        var lost = _sent.Count(id => !_handled.ContainsKey(id));
        var duplicates = _handled.Where(h => _sent.Contains(h.Key)).Sum(h => h.Value - 1);
        var unexpected = _handled.Keys.Count(id => !_sent.Contains(id));
        TestContext.Current.TestOutputHelper?.WriteLine($"{scenario}: sent {_sent.Count}, handled {Handled}, lost {lost}, duplicates {duplicates}, unexpected {unexpected}");
        Assert.True(lost == 0, $"{scenario}: {lost} message(s) lost: {string.Join(", ", _sent.Where(id => !_handled.ContainsKey(id)).Take(10))}");
        Assert.True(unexpected == 0, $"{scenario}: {unexpected} unexpected message(s)");
        return (lost, duplicates, unexpected);
    }
}

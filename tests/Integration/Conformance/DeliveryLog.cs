using System.Globalization;
using System.Text;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Records the messages one consumer (or several) received and checks them against the exact set of ids expected:
/// it counts every delivery, so duplicates are reported, never silently merged.
/// </summary>
/// <remarks>
/// Thread safe. Only messages carrying this run's <see cref="TransportFixture.RunIdHeader"/> are recorded; others
/// (leftovers of an earlier run on a shared broker) are counted apart in <see cref="ForeignCount"/>. Waiting uses
/// <see cref="TaskCompletionSource"/>s completed by <see cref="Record"/>, never polling.
/// </remarks>
/// <param name="name">What the log stands for, in failure messages (for example <c>subscription A</c>).</param>
/// <param name="runId">The run id messages must carry.</param>
public sealed class DeliveryLog(string name, string runId)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly List<ReceivedMessage> _deliveries = [];
    private readonly List<Waiter> _waiters = [];
    private int _foreign;

    /// <summary>Creates a log for a fixture's run.</summary>
    /// <param name="name">What the log stands for, in failure messages.</param>
    /// <param name="fixture">The fixture whose run id messages must carry.</param>
    public DeliveryLog(string name, TransportFixture fixture)
        : this(name, fixture?.RunId ?? throw new ArgumentNullException(nameof(fixture)))
    {
    }

    /// <summary>What the log stands for.</summary>
    public string Name { get; } = name;

    /// <summary>A handler that only records each message and acknowledges it.</summary>
    public MessageHandler Handler => (message, _) =>
    {
        Record(message);
        return ValueTask.CompletedTask;
    };

    /// <summary>How many deliveries of this run's messages were recorded, duplicates included.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _deliveries.Count;
            }
        }
    }

    /// <summary>How many messages of other runs (or without a run id) were received and ignored.</summary>
    public int ForeignCount => Volatile.Read(ref _foreign);

    /// <summary>The recorded deliveries, in the order they were recorded.</summary>
    public IReadOnlyList<ReceivedMessage> Deliveries
    {
        get
        {
            lock (_gate)
            {
                return [.. _deliveries];
            }
        }
    }

    /// <summary>The distinct ids recorded so far.</summary>
    public IReadOnlySet<string> Ids
    {
        get
        {
            lock (_gate)
            {
                return _counts.Keys.ToHashSet(StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Records one delivery, if it belongs to this run.</summary>
    /// <param name="message">The delivery.</param>
    /// <returns><see langword="true"/> when recorded; <see langword="false"/> for another run's message.</returns>
    public bool Record(ReceivedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!message.Envelope.Headers.TryGetValue(TransportFixture.RunIdHeader, out var run) || !string.Equals(run, runId, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _foreign);
            return false;
        }

        List<Waiter>? satisfied = null;
        lock (_gate)
        {
            _deliveries.Add(message);
            _counts[message.Envelope.Id] = _counts.GetValueOrDefault(message.Envelope.Id) + 1;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].IsSatisfied(this))
                {
                    (satisfied ??= []).Add(_waiters[i]);
                    _waiters.RemoveAt(i);
                }
            }
        }

        // Completed outside the lock; the sources run continuations asynchronously anyway.
        satisfied?.ForEach(w => w.Done.TrySetResult());
        return true;
    }

    /// <summary>How many times an id was recorded.</summary>
    /// <param name="id">The message id.</param>
    /// <returns>The count; 0 when never.</returns>
    public int CountOf(string id)
    {
        lock (_gate)
        {
            return _counts.GetValueOrDefault(id);
        }
    }

    /// <summary>Waits until every expected id has been recorded at least once.</summary>
    /// <param name="expectedIds">The ids.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">The test's token.</param>
    /// <returns>A task that completes when all have arrived.</returns>
    /// <exception cref="Xunit.Sdk.XunitException">The time ran out; the message says what is missing.</exception>
    public Task WaitForAsync(IEnumerable<string> expectedIds, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var expected = expectedIds.ToHashSet(StringComparer.Ordinal);
        return WaitAsync(
            new Waiter(log => expected.All(log._counts.ContainsKey)),
            timeout,
            () => $"waiting for {expected.Count} id(s): {Compare(expected)}",
            cancellationToken);
    }

    /// <summary>Waits until at least <paramref name="deliveries"/> deliveries have been recorded.</summary>
    /// <param name="deliveries">The number of deliveries, duplicates included.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">The test's token.</param>
    /// <returns>A task that completes when they have arrived.</returns>
    /// <exception cref="Xunit.Sdk.XunitException">The time ran out.</exception>
    public Task WaitForCountAsync(int deliveries, TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitAsync(
            new Waiter(log => log._deliveries.Count >= deliveries),
            timeout,
            () => $"waiting for {deliveries} deliveries, got {Count}",
            cancellationToken);

    /// <summary>Waits for every expected id, then watches for <paramref name="quietPeriod"/>, then asserts that each
    /// expected id arrived exactly once and nothing else did.</summary>
    /// <param name="expectedIds">The ids.</param>
    /// <param name="timeout">How long to wait for them.</param>
    /// <param name="quietPeriod">How long to watch for late duplicates or strays.</param>
    /// <param name="cancellationToken">The test's token.</param>
    /// <returns>A task that completes when the check passed.</returns>
    public async Task AssertReceivesExactlyAsync(IEnumerable<string> expectedIds, TimeSpan timeout, TimeSpan quietPeriod, CancellationToken cancellationToken)
    {
        var expected = expectedIds.ToList();
        await WaitForAsync(expected, timeout, cancellationToken);

        // A fixed wait is right here: it is how long we look for something that must NOT happen.
        await Task.Delay(quietPeriod, cancellationToken);
        AssertExactlyOnce(expected);
    }

    /// <summary><see cref="AssertReceivesExactlyAsync(IEnumerable{string}, TimeSpan, TimeSpan, CancellationToken)"/> with the fixture's knobs.</summary>
    /// <param name="expectedIds">The ids.</param>
    /// <param name="fixture">The fixture.</param>
    /// <returns>A task that completes when the check passed.</returns>
    public Task AssertReceivesExactlyAsync(IEnumerable<string> expectedIds, TransportFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        return AssertReceivesExactlyAsync(expectedIds, fixture.Timeout, fixture.QuietPeriod, TestContext.Current.CancellationToken);
    }

    /// <summary>Watches for the fixture's quiet period and asserts that nothing of this run arrived.</summary>
    /// <param name="fixture">The fixture.</param>
    /// <returns>A task that completes when the check passed.</returns>
    public async Task AssertReceivesNothingAsync(TransportFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        await Task.Delay(fixture.QuietPeriod, TestContext.Current.CancellationToken);
        AssertExactlyOnce([]);
    }

    /// <summary>Asserts that each expected id was recorded exactly once and nothing else was.</summary>
    /// <param name="expectedIds">The ids.</param>
    public void AssertExactlyOnce(IEnumerable<string> expectedIds)
    {
        var difference = Compare(expectedIds);
        if (!difference.IsExact)
        {
            Assert.Fail($"{Name} did not receive exactly the expected messages: {difference}");
        }
    }

    /// <summary>Compares what was recorded with the ids expected exactly once.</summary>
    /// <param name="expectedIds">The ids.</param>
    /// <returns>The difference.</returns>
    public IdSetDifference Compare(IEnumerable<string> expectedIds)
    {
        Dictionary<string, int> counts;
        lock (_gate)
        {
            counts = new Dictionary<string, int>(_counts, StringComparer.Ordinal);
        }

        return IdSetDifference.Between(expectedIds, counts);
    }

    private async Task WaitAsync(Waiter waiter, TimeSpan timeout, Func<string> describe, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (waiter.IsSatisfied(this))
            {
                return;
            }

            _waiters.Add(waiter);
        }

        try
        {
            await waiter.Done.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }

            Assert.Fail($"{Name}: timed out after {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s {describe()}");
        }
    }

    private sealed class Waiter(Func<DeliveryLog, bool> condition)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsSatisfied(DeliveryLog log) => condition(log);
    }
}

/// <summary>
/// How a set of received ids (with counts) differs from the ids expected exactly once.
/// </summary>
/// <param name="Expected">How many ids were expected.</param>
/// <param name="Missing">Expected ids never received, in expected order.</param>
/// <param name="Unexpected">Ids received but not expected, with their counts.</param>
/// <param name="Duplicated">Expected ids received more than once, with their counts.</param>
public sealed record IdSetDifference(
    int Expected,
    IReadOnlyList<string> Missing,
    IReadOnlyDictionary<string, int> Unexpected,
    IReadOnlyDictionary<string, int> Duplicated)
{
    private const int ShownIds = 15;

    /// <summary>Whether every expected id arrived exactly once and nothing else arrived.</summary>
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && Duplicated.Count == 0;

    /// <summary>How many extra deliveries the duplicates made (an id received 3 times counts 2).</summary>
    public int ExtraDeliveries => Duplicated.Values.Sum(n => n - 1);

    /// <summary>Compares received counts with the ids expected exactly once.</summary>
    /// <param name="expectedIds">The ids expected; listing one twice is a test bug and throws.</param>
    /// <param name="received">How many times each id was received.</param>
    /// <returns>The difference.</returns>
    public static IdSetDifference Between(IEnumerable<string> expectedIds, IReadOnlyDictionary<string, int> received)
    {
        ArgumentNullException.ThrowIfNull(expectedIds);
        ArgumentNullException.ThrowIfNull(received);
        var expected = expectedIds.ToList();
        var expectedSet = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in expected)
        {
            if (!expectedSet.Add(id))
            {
                throw new ArgumentException($"The expected ids list '{id}' twice.", nameof(expectedIds));
            }
        }

        return new IdSetDifference(
            expected.Count,
            expected.Where(id => !received.ContainsKey(id)).ToList(),
            received.Where(r => !expectedSet.Contains(r.Key)).OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal),
            received.Where(r => expectedSet.Contains(r.Key) && r.Value > 1).OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal));
    }

    /// <summary>The difference in words: "missing [...], unexpected [...], duplicated [... (n times)]".</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        if (IsExact)
        {
            return $"exactly the {Expected} expected id(s), each once";
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"of {Expected} expected: ");
        text.Append(CultureInfo.InvariantCulture, $"missing {Missing.Count} {List(Missing)}, ");
        text.Append(CultureInfo.InvariantCulture, $"unexpected {Unexpected.Count} {List(Unexpected.Select(u => Times(u.Key, u.Value)))}, ");
        text.Append(CultureInfo.InvariantCulture, $"duplicated {Duplicated.Count} {List(Duplicated.Select(d => Times(d.Key, d.Value)))}");
        return text.ToString();

        static string Times(string id, int count) => count == 1 ? id : $"{id} ({count} times)";

        static string List(IEnumerable<string> items)
        {
            var all = items.ToList();
            var shown = string.Join(", ", all.Take(ShownIds));
            return all.Count > ShownIds ? $"[{shown}, ... and {all.Count - ShownIds} more]" : $"[{shown}]";
        }
    }
}

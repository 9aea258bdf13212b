namespace OrdersWorker;

/// <summary>
/// What the handlers did, in the order they did it: the worker waits on it and checks it. A real service would write
/// to its database instead.
/// </summary>
public sealed class Journal
{
    private readonly Lock _gate = new();
    private readonly List<(string Entry, string Value)> _entries = [];
    private readonly Dictionary<string, (int Now, int Most)> _busy = [];

    /// <summary>Records that <paramref name="entry"/> happened for <paramref name="value"/> (an order id, a SKU, ...) and prints it.</summary>
    public void Add(string entry, string value)
    {
        lock (_gate)
        {
            _entries.Add((entry, value));
        }

        Console.WriteLine($"    {entry}: {value}");
    }

    /// <summary>How many entries there are.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The values recorded for <paramref name="entry"/>, in order, repeats included.</summary>
    public IReadOnlyList<string> Values(string entry)
    {
        lock (_gate)
        {
            return [.. _entries.Where(e => e.Entry == entry).Select(e => e.Value)];
        }
    }

    /// <summary>Marks a handler of <paramref name="work"/> as running until the result is disposed.</summary>
    public IDisposable Busy(string work)
    {
        lock (_gate)
        {
            var (now, most) = _busy.GetValueOrDefault(work);
            _busy[work] = (now + 1, Math.Max(most, now + 1));
        }

        return new Done(() =>
        {
            lock (_gate)
            {
                var (now, most) = _busy[work];
                _busy[work] = (now - 1, most);
            }
        });
    }

    /// <summary>The most handlers of <paramref name="work"/> that ran at the same time.</summary>
    public int MostAtOnce(string work)
    {
        lock (_gate)
        {
            return _busy.GetValueOrDefault(work).Most;
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds, or the timeout passes.</summary>
    /// <returns>Whether it holds.</returns>
    public async Task<bool> WaitUntilAsync(Func<Journal, bool> done, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(this))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }

        return true;
    }

    private sealed class Done(Action done) : IDisposable
    {
        public void Dispose() => done();
    }
}

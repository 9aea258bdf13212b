namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Measures how many handlers run at the same time: the current count and the highest seen.
/// </summary>
public sealed class ConcurrencyGauge
{
    private int _current;
    private int _max;

    /// <summary>The highest number of handlers seen running at once.</summary>
    public int Max => Volatile.Read(ref _max);

    /// <summary>How many handlers are running now.</summary>
    public int Current => Volatile.Read(ref _current);

    /// <summary>Marks one handler as running until the returned value is disposed.</summary>
    /// <returns>The marker; dispose it when the handler ends.</returns>
    public Running Enter()
    {
        var now = Interlocked.Increment(ref _current);
        var seen = Volatile.Read(ref _max);
        while (now > seen)
        {
            var previous = Interlocked.CompareExchange(ref _max, now, seen);
            if (previous == seen)
            {
                break;
            }

            seen = previous;
        }

        return new Running(this);
    }

    /// <summary>One running handler; disposing it ends it.</summary>
    public sealed class Running : IDisposable
    {
        private ConcurrencyGauge? _gauge;

        internal Running(ConcurrencyGauge gauge)
        {
            _gauge = gauge;
        }

        /// <summary>Marks the handler as no longer running; a second call does nothing.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _gauge, null) is { } gauge)
            {
                Interlocked.Decrement(ref gauge._current);
            }
        }
    }
}

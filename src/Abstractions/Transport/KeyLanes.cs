namespace Messaging.Adapters.Transport;

/// <summary>
/// One lane per ordering key: a delivery runs at once unless another delivery of its key is running, in which case it
/// waits behind it; when that one completes, the next of its key runs. Deliveries without a key never wait.
/// </summary>
/// <typeparam name="T">The delivery.</typeparam>
/// <remarks>Deliveries enter in the order the broker delivered them, so each lane keeps the broker's order.</remarks>
internal sealed class KeyLanes<T>
    where T : class
{
    private readonly Dictionary<object, Queue<T>> _busy = [];
    private readonly Lock _gate = new();

    /// <summary>Offers a delivery: returns <see langword="true"/> when it may run now, otherwise it waits in its lane.</summary>
    /// <param name="key">The delivery's lane, or <see langword="null"/> for none.</param>
    /// <param name="delivery">The delivery.</param>
    /// <returns>Whether to run it now.</returns>
    public bool TryStart(object? key, T delivery)
    {
        if (key is null)
        {
            return true;
        }

        lock (_gate)
        {
            if (_busy.TryGetValue(key, out var waiting))
            {
                waiting.Enqueue(delivery);
                return false;
            }

            _busy[key] = new Queue<T>();
            return true;
        }
    }

    /// <summary>Marks the running delivery of a lane finished and returns the next one of its lane to run.</summary>
    /// <param name="key">The finished delivery's lane.</param>
    /// <param name="takeNext">Whether the next may run (not while stopping).</param>
    /// <returns>The next delivery of the lane, which now holds the lane's turn; or <see langword="null"/>.</returns>
    public T? Complete(object? key, bool takeNext)
    {
        if (key is null)
        {
            return null;
        }

        lock (_gate)
        {
            if (!_busy.TryGetValue(key, out var waiting))
            {
                return null;
            }

            if (takeNext && waiting.Count > 0)
            {
                return waiting.Dequeue();
            }

            if (waiting.Count == 0)
            {
                _busy.Remove(key);
            }

            return null;
        }
    }

    /// <summary>Takes the waiting deliveries that <paramref name="match"/> selects out of their lanes; a lane whose
    /// running delivery is still running keeps its turn.</summary>
    /// <param name="match">Which deliveries to take.</param>
    /// <returns>The deliveries taken, lane by lane in their order.</returns>
    public List<T> TakeWaiting(Func<T, bool> match)
    {
        lock (_gate)
        {
            var taken = new List<T>();
            foreach (var waiting in _busy.Values)
            {
                // Rotate the lane once, keeping the order of what stays.
                for (var i = waiting.Count; i > 0; i--)
                {
                    var delivery = waiting.Dequeue();
                    if (match(delivery))
                    {
                        taken.Add(delivery);
                    }
                    else
                    {
                        waiting.Enqueue(delivery);
                    }
                }
            }

            return taken;
        }
    }
}

namespace Messaging.Adapters.RabbitMq.Consuming;

/// <summary>
/// One lane per message key: a delivery runs at once unless another delivery of its key is running, in which case it
/// waits behind it; when that one completes, the next of its key runs. Deliveries without a key never wait.
/// </summary>
/// <typeparam name="T">The delivery.</typeparam>
/// <remarks>Deliveries enter in the order the broker delivered them, so each key's lane keeps the queue's order.</remarks>
internal sealed class KeyLanes<T>
    where T : class
{
    private readonly Dictionary<string, Queue<T>> _busy = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Offers a delivery: returns <see langword="true"/> when it may run now, otherwise it waits in its lane.</summary>
    /// <param name="key">The delivery's key, or <see langword="null"/>.</param>
    /// <param name="delivery">The delivery.</param>
    /// <returns>Whether to run it now.</returns>
    public bool TryStart(string? key, T delivery)
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

    /// <summary>Marks the running delivery of a key finished and returns the next one of its key to run.</summary>
    /// <param name="key">The finished delivery's key.</param>
    /// <param name="takeNext">Whether the next may run (not while stopping).</param>
    /// <returns>The next delivery of the key, which now holds the key's turn; or <see langword="null"/>.</returns>
    public T? Complete(string? key, bool takeNext)
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

    /// <summary>Takes every waiting delivery out of the lanes and frees every key.</summary>
    /// <returns>The waiting deliveries, lane by lane in their order.</returns>
    public List<T> DrainWaiting()
    {
        lock (_gate)
        {
            var waiting = _busy.Values.SelectMany(q => q).ToList();
            _busy.Clear();
            return waiting;
        }
    }
}

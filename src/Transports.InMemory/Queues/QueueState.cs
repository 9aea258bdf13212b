using System.Collections.Concurrent;

namespace Messaging.Adapters.InMemory.Queues;

/// <summary>
/// One queue: messages waiting, the consumers competing for them, and (with ordering by key) which keys are taken.
/// </summary>
/// <remarks>
/// <para>The queue pushes messages to consumers that have credit (fewer than their in-flight limit running), as
/// RabbitMQ does with prefetch. A consumer's worker that finishes a message takes the next one itself, so under
/// load messages flow without thread-pool hops. Waiting messages sit in lock-free queues; released (redelivered)
/// messages in a second one that is served first, where RabbitMQ also puts requeued messages.</para>
/// <para>Credit is reserved with a compare-and-swap before a message is taken. A worker that finds nothing gives its
/// credit back and then dispatches once more, so a message enqueued while every consumer looked busy is never
/// stranded.</para>
/// <para>Ordering by key takes messages under a lock, so taking a message and claiming its key are one step. For each
/// key the order is: the delivery holding the key's turn (running, or first in the released queue), then those
/// parked behind it, then those still waiting. Messages are parked only when taken, in the order they were taken.</para>
/// </remarks>
internal sealed class QueueState(string name)
{
    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<Delivery> _ready = new();
    private readonly ConcurrentQueue<Delivery> _released = new();
    private readonly Dictionary<string, Queue<Delivery>> _takenKeys = new(StringComparer.Ordinal);
    private QueueConsumer[] _consumers = [];
    private volatile bool _ordered;
    private volatile bool _deleted;
    private int _nextConsumer;

    public string Name { get; } = name;

    public int CountReady()
    {
        lock (_gate)
        {
            return _ready.Count + _released.Count + _takenKeys.Values.Sum(parked => parked.Count);
        }
    }

    public void Enqueue(Delivery delivery)
    {
        if (_deleted)
        {
            return;
        }

        _ready.Enqueue(delivery);
        Dispatch();
    }

    public void EnqueueRange(IReadOnlyList<Delivery> deliveries)
    {
        if (_deleted)
        {
            return;
        }

        foreach (var delivery in deliveries)
        {
            _ready.Enqueue(delivery);
        }

        Dispatch();
    }

    public void AddConsumer(QueueConsumer consumer)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_deleted, this);
            var ordering = _ordered ? MessageOrdering.ByKey : MessageOrdering.None;
            if ((_consumers.Length > 0 || _takenKeys.Count > 0) && ordering != consumer.Ordering)
            {
                throw new InvalidOperationException($"Queue '{Name}' is consumed with ordering {ordering}; a consumer asking for {consumer.Ordering} cannot join it. All consumers of one queue must ask for the same ordering.");
            }

            _ordered = consumer.Ordering == MessageOrdering.ByKey;
            _consumers = [.. _consumers, consumer];
        }

        Dispatch();
    }

    /// <summary>Stops giving the consumer new messages; returns false when it was stopping already.</summary>
    public bool RemoveConsumer(QueueConsumer consumer)
    {
        lock (_gate)
        {
            if (consumer.Stopping)
            {
                return false;
            }

            consumer.Stopping = true;
            _consumers = _consumers.Where(c => c != consumer).ToArray();
            return true;
        }
    }

    /// <summary>Settles a delivery a worker of <paramref name="worker"/> finished, and hands the worker its next one.</summary>
    /// <param name="worker">The consumer whose worker ran the delivery.</param>
    /// <param name="done">The delivery.</param>
    /// <param name="released">Whether it was released for redelivery instead of acknowledged.</param>
    /// <returns>The next delivery for the same worker, or null when the worker ends (its credit is then given back).</returns>
    public Delivery? Complete(QueueConsumer worker, Delivery done, bool released)
    {
        Delivery? next = null;
        if (released)
        {
            // Served before anything else; under ordering it keeps its key's turn, so the parked ones stay behind it.
            done.Redelivered = true;
            done.Worker = null;
            if (!_deleted)
            {
                _released.Enqueue(done);
            }
        }
        else if (done.HoldsKey)
        {
            next = PassKeyTurn(done, worker.Stopping);
        }

        if (next is null && !worker.Stopping)
        {
            next = TakeNext();
        }

        if (next is null)
        {
            worker.ReturnCredit();
            Dispatch();
        }

        return next;
    }

    public void MarkDeleted()
    {
        lock (_gate)
        {
            _deleted = true;
            _ready.Clear();
            _released.Clear();
            _takenKeys.Clear();
        }
    }

    /// <summary>Starts workers while messages wait and some consumer has credit.</summary>
    private void Dispatch()
    {
        while (!_deleted && (!_released.IsEmpty || !_ready.IsEmpty))
        {
            var consumer = ReserveCredit();
            if (consumer is null)
            {
                return;
            }

            var next = TakeNext();
            if (next is null)
            {
                consumer.ReturnCredit();
                continue;
            }

            if (consumer.Stopping)
            {
                // The consumer began stopping after its credit was reserved: the message goes back, unharmed.
                _released.Enqueue(next);
                consumer.ReturnCredit();
                continue;
            }

            consumer.Start(next);
        }
    }

    private QueueConsumer? ReserveCredit()
    {
        var consumers = _consumers;
        var count = consumers.Length;
        if (count == 0)
        {
            return null;
        }

        // A racy round-robin start is enough for fairness; correctness rests on the compare-and-swap.
        var start = (int)((uint)Interlocked.Increment(ref _nextConsumer) % (uint)count);
        for (var i = 0; i < count; i++)
        {
            var consumer = consumers[(start + i) % count];
            if (!consumer.Stopping && consumer.TryReserveCredit())
            {
                return consumer;
            }
        }

        return null;
    }

    private Delivery? TakeNext()
    {
        if (!_ordered)
        {
            return _released.TryDequeue(out var delivery) || _ready.TryDequeue(out delivery) ? delivery : null;
        }

        lock (_gate)
        {
            while (_released.TryDequeue(out var delivery) || _ready.TryDequeue(out delivery))
            {
                if (delivery.HoldsKey || delivery.Envelope.Key is not { } key)
                {
                    return delivery;
                }

                if (_takenKeys.TryGetValue(key, out var parked))
                {
                    parked.Enqueue(delivery);
                    continue;
                }

                _takenKeys[key] = new Queue<Delivery>();
                delivery.HoldsKey = true;
                return delivery;
            }

            return null;
        }
    }

    /// <summary>Gives the key's turn to the next parked delivery: to the same worker, or back to the queue when the worker stops.</summary>
    private Delivery? PassKeyTurn(Delivery done, bool workerStopping)
    {
        lock (_gate)
        {
            var key = done.Envelope.Key!;
            if (!_takenKeys.TryGetValue(key, out var parked))
            {
                return null;
            }

            if (parked.Count == 0)
            {
                _takenKeys.Remove(key);
                return null;
            }

            var successor = parked.Dequeue();
            successor.HoldsKey = true;
            if (!workerStopping)
            {
                return successor;
            }

            _released.Enqueue(successor);
            return null;
        }
    }
}

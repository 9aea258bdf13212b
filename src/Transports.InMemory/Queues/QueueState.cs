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
    private QueueReceiver[] _consumers = [];
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

    /// <summary>The first messages waiting, in the order they would be handed out, left where they are.</summary>
    public List<Envelope> Peek(int max)
    {
        lock (_gate)
        {
            return _released.Concat(_takenKeys.Values.SelectMany(parked => parked)).Concat(_ready)
                .Take(max)
                .Select(delivery => delivery.Envelope)
                .ToList();
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

    public void AddConsumer(QueueReceiver consumer)
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
    public bool RemoveConsumer(QueueReceiver consumer)
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

    /// <summary>Settles a delivery a consumer finished: acknowledged, it leaves the queue and passes its key's turn
    /// on; released, it goes back to the front of the queue (keeping its key's turn, so the parked ones stay behind it).</summary>
    /// <param name="done">The delivery.</param>
    /// <param name="released">Whether it was released for redelivery instead of acknowledged.</param>
    public void Settle(Delivery done, bool released)
    {
        if (released)
        {
            if (!_deleted)
            {
                _released.Enqueue(done);
            }
        }
        else if (done.HoldsKey)
        {
            PassKeyTurn(done);
        }
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
    public void Dispatch()
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

    private QueueReceiver? ReserveCredit()
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

    /// <summary>Takes the next message to run: released ones first; under ordering, only one whose key is free
    /// (the others are parked behind their key's holder).</summary>
    public Delivery? TakeNext()
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

    /// <summary>Gives the key's turn to the next parked delivery, which goes to the front of the queue.</summary>
    private void PassKeyTurn(Delivery done)
    {
        lock (_gate)
        {
            var key = done.Envelope.Key!;
            if (!_takenKeys.TryGetValue(key, out var parked))
            {
                return;
            }

            if (parked.Count == 0)
            {
                _takenKeys.Remove(key);
                return;
            }

            var successor = parked.Dequeue();
            successor.HoldsKey = true;
            _released.Enqueue(successor);
        }
    }
}

namespace Messaging.Adapters.InMemory.Queues;

/// <summary>
/// One queue: messages waiting, the consumers competing for them, and (with ordering by key) which keys are taken.
/// </summary>
/// <remarks>
/// <para>The queue pushes messages to consumers that have credit (fewer than their in-flight limit running), as
/// RabbitMQ does with prefetch. A consumer's worker that finishes a message takes the next one itself, so under
/// load messages flow without thread-pool hops. One lock per queue guards the structures; handlers never run
/// under it.</para>
/// <para>Ordering by key keeps, for each key, this order: the delivery holding the key's turn (running, or waiting
/// at the front after a release), then the deliveries parked behind it, then those still in the ready deque.
/// A new message is parked only when the ready deque is empty, so it can never overtake an older one of its key.</para>
/// </remarks>
internal sealed class QueueState(string name)
{
    private readonly Lock _gate = new();
    private readonly DeliveryDeque _ready = new();
    private readonly List<QueueConsumer> _consumers = [];
    private readonly Dictionary<string, Queue<Delivery>> _takenKeys = new(StringComparer.Ordinal);
    private MessageOrdering _ordering;
    private int _nextConsumer;
    private bool _deleted;

    public string Name { get; } = name;

    public int CountReady()
    {
        lock (_gate)
        {
            return _ready.Count + _takenKeys.Values.Sum(parked => parked.Count);
        }
    }

    public void Enqueue(Delivery delivery)
    {
        QueueConsumer? worker;
        lock (_gate)
        {
            worker = _deleted ? null : Place(delivery);
        }

        worker?.Start(delivery);
    }

    public void EnqueueRange(IReadOnlyList<Delivery> deliveries)
    {
        List<(QueueConsumer, Delivery)>? starts = null;
        lock (_gate)
        {
            if (_deleted)
            {
                return;
            }

            foreach (var delivery in deliveries)
            {
                _ready.AddLast(delivery);
            }

            Pump(ref starts);
        }

        StartAll(starts);
    }

    public void AddConsumer(QueueConsumer consumer)
    {
        List<(QueueConsumer, Delivery)>? starts = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_deleted, this);
            if ((_consumers.Count > 0 || _takenKeys.Count > 0) && _ordering != consumer.Ordering)
            {
                throw new InvalidOperationException($"Queue '{Name}' is consumed with ordering {_ordering}; a consumer asking for {consumer.Ordering} cannot join it. All consumers of one queue must ask for the same ordering.");
            }

            _ordering = consumer.Ordering;
            _consumers.Add(consumer);
            Pump(ref starts);
        }

        StartAll(starts);
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
            _consumers.Remove(consumer);
            return true;
        }
    }

    /// <summary>Settles a delivery a worker of <paramref name="worker"/> finished, and hands the worker its next one.</summary>
    /// <param name="worker">The consumer whose worker ran the delivery.</param>
    /// <param name="done">The delivery.</param>
    /// <param name="released">Whether it was released for redelivery instead of acknowledged.</param>
    /// <returns>The next delivery for the same worker, or null when the worker should end.</returns>
    public Delivery? Complete(QueueConsumer worker, Delivery done, bool released)
    {
        List<(QueueConsumer, Delivery)>? starts = null;
        Delivery? next = null;
        lock (_gate)
        {
            if (!_deleted)
            {
                if (released)
                {
                    // Back to the front, keeping its key's turn: the parked ones of its key stay behind it.
                    done.Redelivered = true;
                    done.Worker = null;
                    _ready.AddFirst(done);
                }
                else if (done.HoldsKey && _takenKeys.TryGetValue(done.Envelope.Key!, out var parked))
                {
                    if (parked.Count == 0)
                    {
                        _takenKeys.Remove(done.Envelope.Key!);
                    }
                    else
                    {
                        var successor = parked.Dequeue();
                        successor.HoldsKey = true;
                        if (worker.Stopping)
                        {
                            _ready.AddFirst(successor);
                        }
                        else
                        {
                            next = successor;
                        }
                    }
                }

                if (next is null && !worker.Stopping)
                {
                    next = TakeNext();
                }
            }

            if (next is null)
            {
                worker.Active--;
            }

            Pump(ref starts);
        }

        StartAll(starts);
        return next;
    }

    public void MarkDeleted()
    {
        lock (_gate)
        {
            _deleted = true;
            _ready.Clear();
            _takenKeys.Clear();
        }
    }

    /// <summary>Puts a new delivery where it belongs: behind older ones, behind its key, or straight to a consumer with credit (returned).</summary>
    private QueueConsumer? Place(Delivery delivery)
    {
        if (_ready.Count > 0)
        {
            _ready.AddLast(delivery);
            return null;
        }

        if (Ordered(delivery) && _takenKeys.TryGetValue(delivery.Envelope.Key!, out var parked))
        {
            parked.Enqueue(delivery);
            return null;
        }

        var worker = NextWithCredit();
        if (worker is null)
        {
            _ready.AddLast(delivery);
            return null;
        }

        TakeKeyTurn(delivery);
        worker.Active++;
        return worker;
    }

    /// <summary>Takes the next runnable delivery from the ready deque, parking those whose key is taken.</summary>
    private Delivery? TakeNext()
    {
        while (_ready.Count > 0)
        {
            var head = _ready.RemoveFirst();
            if (Ordered(head) && _takenKeys.TryGetValue(head.Envelope.Key!, out var parked))
            {
                parked.Enqueue(head);
                continue;
            }

            TakeKeyTurn(head);
            return head;
        }

        return null;
    }

    private void Pump(ref List<(QueueConsumer, Delivery)>? starts)
    {
        while (_ready.Count > 0 && NextWithCredit() is { } consumer)
        {
            var next = TakeNext();
            if (next is null)
            {
                return;
            }

            consumer.Active++;
            (starts ??= []).Add((consumer, next));
        }
    }

    private bool Ordered(Delivery delivery) => _ordering == MessageOrdering.ByKey && delivery.Envelope.Key is not null && !delivery.HoldsKey;

    private void TakeKeyTurn(Delivery delivery)
    {
        if (Ordered(delivery))
        {
            _takenKeys[delivery.Envelope.Key!] = new Queue<Delivery>();
            delivery.HoldsKey = true;
        }
    }

    private QueueConsumer? NextWithCredit()
    {
        var count = _consumers.Count;
        for (var i = 0; i < count; i++)
        {
            var index = (_nextConsumer + i) % count;
            var consumer = _consumers[index];
            if (consumer.Active < consumer.MaxInFlight)
            {
                _nextConsumer = (index + 1) % count;
                return consumer;
            }
        }

        return null;
    }

    private static void StartAll(List<(QueueConsumer Consumer, Delivery Delivery)>? starts)
    {
        if (starts is null)
        {
            return;
        }

        foreach (var (consumer, delivery) in starts)
        {
            consumer.Start(delivery);
        }
    }
}

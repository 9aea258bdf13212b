namespace Messaging.Adapters.InMemory.Queues;

/// <summary>
/// A growable ring buffer that takes items at both ends: new messages go to the back, released (redelivered)
/// messages to the front, where RabbitMQ also puts requeued messages. Not thread safe; <see cref="QueueState"/> locks.
/// </summary>
internal sealed class DeliveryDeque
{
    private Delivery?[] _items = new Delivery?[16];
    private int _head;

    public int Count { get; private set; }

    public void AddLast(Delivery item)
    {
        GrowIfFull();
        _items[(_head + Count) & (_items.Length - 1)] = item;
        Count++;
    }

    public void AddFirst(Delivery item)
    {
        GrowIfFull();
        _head = (_head - 1) & (_items.Length - 1);
        _items[_head] = item;
        Count++;
    }

    public Delivery PeekFirst() => Count > 0 ? _items[_head]! : throw new InvalidOperationException("The deque is empty.");

    public Delivery RemoveFirst()
    {
        var item = PeekFirst();
        _items[_head] = null;
        _head = (_head + 1) & (_items.Length - 1);
        Count--;
        return item;
    }

    public void Clear()
    {
        Array.Clear(_items);
        _head = 0;
        Count = 0;
    }

    private void GrowIfFull()
    {
        if (Count < _items.Length)
        {
            return;
        }

        // Length stays a power of two so the index arithmetic can mask instead of divide.
        var grown = new Delivery?[_items.Length * 2];
        for (var i = 0; i < Count; i++)
        {
            grown[i] = _items[(_head + i) & (_items.Length - 1)];
        }

        _items = grown;
        _head = 0;
    }
}

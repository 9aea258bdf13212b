using Messaging.Adapters.InMemory.Queues;

namespace Messaging.Adapters.InMemory;

/// <summary>
/// A topic: the subscription queues bound to it, each with its filter. Copy-on-write, so publishing reads the
/// bindings without a lock.
/// </summary>
internal sealed class TopicState(string name)
{
    private readonly Lock _gate = new();
    private Binding[] _bindings = [];

    public string Name { get; } = name;

    public Binding[] Bindings => Volatile.Read(ref _bindings);

    public void Bind(string subscription, QueueState queue, SubscriptionFilter? filter)
    {
        lock (_gate)
        {
            var others = _bindings.Where(b => b.Subscription != subscription);
            Volatile.Write(ref _bindings, [.. others, new Binding(subscription, queue, filter)]);
        }
    }

    public void Unbind(string subscription)
    {
        lock (_gate)
        {
            Volatile.Write(ref _bindings, _bindings.Where(b => b.Subscription != subscription).ToArray());
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            Volatile.Write(ref _bindings, []);
        }
    }

    public sealed record Binding(string Subscription, QueueState Queue, SubscriptionFilter? Filter);
}

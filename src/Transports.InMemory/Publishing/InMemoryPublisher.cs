using Messaging.Adapters.InMemory.Queues;

namespace Messaging.Adapters.InMemory;

/// <summary>
/// Publishes to in-memory topics: each bound subscription queue whose filter matches gets its own delivery.
/// </summary>
internal sealed class InMemoryPublisher(InMemoryTransport transport) : IPublisher
{
    public ValueTask PublishAsync(string topic, Envelope message, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(topic, "topic", nameof(topic));
        ArgumentNullException.ThrowIfNull(message);
        transport.Capabilities.EnsureFits(message, topic);
        foreach (var binding in transport.Broker.GetOrAddTopic(topic).Bindings)
        {
            if (binding.Filter is null || binding.Filter.Matches(message))
            {
                binding.Queue.Enqueue(new Delivery(message));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask PublishBatchAsync(string topic, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(topic, "topic", nameof(topic));
        transport.Capabilities.EnsureBatchFits(messages, topic);
        foreach (var binding in transport.Broker.GetOrAddTopic(topic).Bindings)
        {
            var deliveries = new List<Delivery>(messages.Count);
            foreach (var message in messages)
            {
                if (binding.Filter is null || binding.Filter.Matches(message))
                {
                    deliveries.Add(new Delivery(message));
                }
            }

            binding.Queue.EnqueueRange(deliveries);
        }

        return ValueTask.CompletedTask;
    }
}

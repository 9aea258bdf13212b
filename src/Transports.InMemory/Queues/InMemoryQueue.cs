using Messaging.Adapters.InMemory.Queues;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.InMemory;

/// <summary>
/// Sends to and consumes in-memory queues.
/// </summary>
internal sealed class InMemoryQueue(InMemoryTransport transport) : IQueue
{
    public ValueTask SendAsync(string queue, Envelope message, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
        ArgumentNullException.ThrowIfNull(message);
        transport.Capabilities.EnsureFits(message, queue);
        transport.Broker.GetOrAddQueue(queue).Enqueue(new Delivery(message));
        return ValueTask.CompletedTask;
    }

    public ValueTask SendBatchAsync(string queue, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
        transport.Capabilities.EnsureBatchFits(messages, queue);
        var deliveries = new Delivery[messages.Count];
        for (var i = 0; i < deliveries.Length; i++)
        {
            deliveries[i] = new Delivery(messages[i]);
        }

        transport.Broker.GetOrAddQueue(queue).EnqueueRange(deliveries);
        return ValueTask.CompletedTask;
    }

    public Task<IConsumer> ConsumeAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new ConsumerOptions();
        options.Validate();
        CapabilityGuard.EnsureConsumer(transport.Capabilities, transport.Name, options);
        return Task.FromResult(StartConsumer(transport, transport.Broker.GetOrAddQueue(queue), handler, options, topic: null, subscription: null));
    }

    internal static IConsumer StartConsumer(InMemoryTransport transport, QueueState queue, MessageHandler handler, ConsumerOptions options, string? topic, string? subscription)
    {
        // Ordering by key must not let a delayed retry step aside for the next message of its key, so the wait
        // happens in the worker, holding the key's turn. (A transport that cannot hold delayed retries at all holds
        // them in process too: InMemoryTransport.CreatePipeline asks CapabilityGuard.HoldsDelayedRetries.)
        var pipeline = transport.CreatePipeline(handler, options.Retry, holdDelayedRetries: options.Ordering == MessageOrdering.ByKey);
        var consumer = new QueueConsumer(queue, transport, pipeline, options, topic, subscription);
        transport.Track(consumer);
        queue.AddConsumer(consumer);
        return consumer;
    }
}

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
        return StartConsumerAsync(transport, transport.Broker.GetOrAddQueue(queue), handler, options, topic: null, subscription: null, filter: null);
    }

    internal static async Task<IConsumer> StartConsumerAsync(InMemoryTransport transport, QueueState queue, MessageHandler handler, ConsumerOptions options, string? topic, string? subscription, SubscriptionFilter? filter)
    {
        var receiver = new QueueReceiver(queue, transport, options.Ordering, topic, subscription);
        var consumer = transport.CreateConsumer(receiver, handler, options.Retry, new ConsumerEngineSettings
        {
            Source = queue.Name,
            Transport = transport.Name,
            Capabilities = transport.Capabilities,
            MaxInFlight = options.MaxInFlight,
            Ordering = options.Ordering,

            // The queue itself hands out one message of a key at a time (it parks the others), so the engine needs
            // no lanes; a delayed retry still waits in process, holding its key's turn.
            Lanes = DeliveryLanes.None,
            Filter = filter,
        });

        await consumer.StartAsync(CancellationToken.None).ConfigureAwait(false);
        transport.Consumers.Add(consumer, transport);
        return consumer;
    }
}

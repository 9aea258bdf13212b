using Messaging.Adapters.Transport;

namespace Messaging.Adapters.InMemory.Queues;

/// <summary>
/// Counts and peeks in-memory queues: exact, from the queue itself, taking nothing out of it.
/// </summary>
internal sealed class InMemoryQueueInspector(InMemoryTransport transport) : IQueueInspector
{
    public Task<QueueCount> CountAsync(string queue, CancellationToken cancellationToken = default)
    {
        EnsureUsable(queue);
        return Task.FromResult(transport.Broker.TryGetQueue(queue, out var state) ? new QueueCount(state.CountReady()) : QueueCount.Missing);
    }

    public Task<IReadOnlyList<Envelope>> PeekAsync(string queue, int max, CancellationToken cancellationToken = default)
    {
        EnsureUsable(queue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        return Task.FromResult<IReadOnlyList<Envelope>>(transport.Broker.TryGetQueue(queue, out var state) ? state.Peek(max) : []);
    }

    private void EnsureUsable(string queue)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
        if (!transport.Capabilities.QueueInspection)
        {
            throw new CapabilityNotSupportedException(nameof(TransportCapabilities.QueueInspection), transport.Name);
        }
    }
}

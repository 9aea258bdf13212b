using System.Collections.Concurrent;

namespace Messaging.Adapters.Transport;

/// <summary>
/// The consumers a transport started and that have not finished yet, so that disposing the transport stops every one
/// of them, including those already stopping (<see cref="ITransport"/>'s dispose obligation).
/// </summary>
/// <remarks>A consumer leaves the set when its <see cref="IConsumer.Completion"/> completes, not when its stop
/// begins, so a transport disposed while a consumer drains still cancels that consumer's handlers and waits for them.</remarks>
public sealed class ConsumerSet
{
    private readonly ConcurrentDictionary<IConsumer, byte> _consumers = new();
    private int _closed;

    /// <summary>Whether <see cref="DisposeAllAsync"/> was called.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>The consumers not finished yet.</summary>
    public int Count => _consumers.Count;

    /// <summary>Adds a started consumer; if the set is closed (the transport was disposed while the consumer
    /// started), disposes it and throws.</summary>
    /// <param name="consumer">The consumer.</param>
    /// <param name="owner">The transport, for the <see cref="ObjectDisposedException"/>.</param>
    /// <exception cref="ObjectDisposedException">The transport was disposed.</exception>
    public void Add(IConsumer consumer, object owner)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        _consumers[consumer] = 0;
        _ = consumer.Completion.ContinueWith(
            static (_, state) =>
            {
                var (set, finished) = ((ConsumerSet, IConsumer))state!;
                set._consumers.TryRemove(finished, out byte _);
            },
            (this, consumer),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        if (IsClosed)
        {
            // Disposed while this consumer was starting: it must not outlive the transport.
            _ = consumer.DisposeAsync().AsTask();
            ObjectDisposedException.ThrowIf(true, owner);
        }
    }

    /// <summary>Disposes every consumer not finished yet (their handlers are cancelled and their messages released)
    /// and waits until they have; later <see cref="Add"/> calls dispose what they add.</summary>
    /// <returns>A task that completes when every consumer finished.</returns>
    public Task DisposeAllAsync()
    {
        Interlocked.Exchange(ref _closed, 1);
        return Task.WhenAll(_consumers.Keys.Select(c => c.DisposeAsync().AsTask()));
    }
}

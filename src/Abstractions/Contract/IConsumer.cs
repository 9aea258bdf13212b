namespace Messaging.Adapters;

/// <summary>
/// A running consumer of a queue, subscription or stream, returned by <see cref="IQueue.ConsumeAsync"/>,
/// <see cref="ISubscriber.SubscribeAsync"/> and <see cref="IStream.ReadAsync"/>.
/// </summary>
/// <remarks>
/// Stopping never acknowledges unfinished work: a message whose handler did not complete is left for
/// redelivery to another consumer. Both <see cref="StopAsync"/> and <see cref="IAsyncDisposable.DisposeAsync"/>
/// are idempotent, safe to call concurrently, and safe to call from inside one of this consumer's own handlers
/// (the calling handler is not waited for). <see cref="IAsyncDisposable.DisposeAsync"/> is a stop that does not
/// wait for handlers to finish on their own: it cancels the handlers in flight at once, waits until they have
/// returned, and releases their messages for redelivery.
/// </remarks>
public interface IConsumer : IAsyncDisposable
{
    /// <summary>Stops taking new messages and waits for the handlers in flight to finish.</summary>
    /// <param name="cancellationToken">When cancelled, the handlers still running are cancelled and their
    /// messages released for redelivery; the call then completes once they have returned.</param>
    /// <returns>A task that completes when no handler of this consumer is running.</returns>
    Task StopAsync(CancellationToken cancellationToken = default);

    /// <summary>Completes when the consumer has stopped and released everything it held: after
    /// <see cref="StopAsync"/> or <see cref="IAsyncDisposable.DisposeAsync"/>, or on its own when it could not go on
    /// (its queue was deleted, its reader failed), in which case the task is faulted with the reason.</summary>
    /// <remarks>Hosted consumers watch it: a consumer that died is logged and, by
    /// <see cref="MessagingOptions.ConsumerFailure"/>, stops the host or is restarted.</remarks>
    Task Completion { get; }
}

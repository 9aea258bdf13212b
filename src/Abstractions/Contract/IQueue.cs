namespace Messaging.Adapters;

/// <summary>
/// Point-to-point queues: each message is handled by exactly one of the consumers reading the queue
/// (at least once; exactly once when nothing fails).
/// </summary>
/// <remarks>
/// <para>Thread safe. A send completes when the broker has confirmed the message. The queue and its dead-letter
/// queue are created on first use, idempotently. Dead-letter queues (<see cref="DestinationNames.DeadLetterQueue"/>)
/// and subscription queues (<see cref="DestinationNames.SubscriptionQueue"/>) are queues too: they can be consumed
/// and sent to here, which is how dead letters are re-sent (see <see cref="DeadLetterRedrive"/>).</para>
/// </remarks>
public interface IQueue
{
    /// <summary>Sends one message to a queue.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the wait; the message may still be sent.</param>
    /// <returns>A task that completes when the broker has confirmed the message.</returns>
    ValueTask SendAsync(string queue, Envelope message, CancellationToken cancellationToken = default);

    /// <summary>Sends several messages to a queue, in order.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="messages">The messages.</param>
    /// <param name="cancellationToken">Cancels the wait; some messages may still be sent.</param>
    /// <returns>A task that completes when the broker has confirmed every message.</returns>
    /// <remarks>Every message is validated before any is sent. Not atomic: see <see cref="BatchPublishException"/>.</remarks>
    ValueTask SendBatchAsync(string queue, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default);

    /// <summary>Starts consuming a queue as one of possibly many competing consumers.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="handler">Called once per message; see <see cref="MessageHandler"/>.</param>
    /// <param name="options">In-flight limit, ordering and retry policy; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running consumer.</returns>
    Task<IConsumer> ConsumeAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default);
}

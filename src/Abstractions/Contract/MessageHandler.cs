namespace Messaging.Adapters;

/// <summary>
/// Handles one received message.
/// </summary>
/// <param name="message">The message and its delivery facts (attempt, source, stream position).</param>
/// <param name="cancellationToken">Cancelled when the consumer is stopping and the handler should give up; the
/// message is then left for redelivery rather than acknowledged.</param>
/// <returns>A task that completes when the message has been handled.</returns>
/// <remarks>
/// Returning normally acknowledges the message. Throwing sends it through the consumer's <see cref="RetryPolicy"/>:
/// immediate retries, delayed retries, then the dead-letter queue with the reason. Throwing
/// <see cref="DeadLetterException"/> dead-letters it at once, and a <see cref="MessageDeserializationException"/>
/// (a poison message) is never retried. Delivery is at least once: make handlers idempotent, for example with
/// <see cref="IdempotentHandler"/>.
/// </remarks>
public delegate ValueTask MessageHandler(ReceivedMessage message, CancellationToken cancellationToken);

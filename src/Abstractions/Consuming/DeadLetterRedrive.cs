namespace Messaging.Adapters;

/// <summary>
/// Re-sends dead letters to the queue they came from, once the cause of their failure has been fixed.
/// </summary>
/// <remarks>
/// A dead-letter queue is an ordinary queue: this reads it with <see cref="IQueue.ConsumeAsync"/> and sends each
/// message back to <see cref="EnvelopeHeaders.DeadLetterSource"/> (a queue, or a subscription's queue, so only
/// that subscription gets it again) with the dead-letter headers removed and the same id.
/// </remarks>
public static class DeadLetterRedrive
{
    /// <summary>A handler that re-sends each dead letter it receives to its source queue.</summary>
    /// <param name="queue">The transport's queues.</param>
    /// <returns>The handler. A message without a source header is dead-lettered again, with that reason.</returns>
    public static MessageHandler CreateHandler(IQueue queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return async (message, cancellationToken) =>
        {
            var headers = message.Envelope.Headers;
            if (!headers.TryGetValue(EnvelopeHeaders.DeadLetterSource, out var source) || !DestinationNames.IsValid(source))
            {
                throw new DeadLetterException($"Cannot re-send message '{message.Envelope.Id}': header '{EnvelopeHeaders.DeadLetterSource}' is missing or not a valid queue name.");
            }

            var cleaned = headers.Where(h => !h.Key.StartsWith("messaging.dead-letter.", StringComparison.Ordinal) && h.Key != EnvelopeHeaders.Attempt)
                .ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
            await queue.SendAsync(source, message.Envelope with { Headers = cleaned }, cancellationToken).ConfigureAwait(false);
        };
    }

    /// <summary>Starts re-sending every message of a dead-letter queue to its source, until the returned consumer is stopped.</summary>
    /// <param name="queue">The transport's queues.</param>
    /// <param name="deadLetterQueue">The dead-letter queue, for example <c>DestinationNames.DeadLetterQueue("payments")</c>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running consumer.</returns>
    public static Task<IConsumer> StartAsync(IQueue queue, string deadLetterQueue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return queue.ConsumeAsync(deadLetterQueue, CreateHandler(queue), options: null, cancellationToken);
    }
}

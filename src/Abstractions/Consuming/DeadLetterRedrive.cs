namespace Messaging.Adapters;

/// <summary>
/// Re-sends dead letters to the queue they came from, once the cause of their failure has been fixed.
/// </summary>
/// <remarks>
/// <para>One model on every transport: a re-sent message goes back to the one queue or subscription it failed in,
/// and to no other. A dead-letter queue is an ordinary queue: this reads it with <see cref="IQueue.ConsumeAsync"/>
/// and sends each message back to <see cref="EnvelopeHeaders.DeadLetterSource"/> (a queue, or a subscription's
/// queue, which only that subscription reads) with the dead-letter headers removed and the same id.</para>
/// <para>A stream reader group's dead letters (<see cref="EnvelopeHeaders.DeadLetterReaderGroup"/>) are refused: a
/// stream has no way to deliver a message to one reader group only, and appending it again would deliver it to
/// every group. Such a message is still in the stream; the refusal dead-letters it once more, to the dead-letter
/// queue's own dead-letter queue, with a reason that names the stream, the group and the offset to read it again
/// from (<see cref="StreamPosition.AtOffset"/>).</para>
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
            if (headers.TryGetValue(EnvelopeHeaders.DeadLetterReaderGroup, out var readerGroup))
            {
                throw new DeadLetterException(
                    $"Cannot re-send message '{message.Envelope.Id}': reader group '{readerGroup}' of stream "
                    + $"'{headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterSource)}' dead-lettered it, and a stream cannot deliver "
                    + $"a message to one reader group only. It is still in the stream at partition "
                    + $"{headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterStreamPartition, "?")}, offset "
                    + $"{headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterStreamOffset, "?")}: read it again from there "
                    + "(StreamPosition.AtOffset) once the cause is fixed.");
            }

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

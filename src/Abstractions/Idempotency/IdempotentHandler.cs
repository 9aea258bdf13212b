namespace Messaging.Adapters;

/// <summary>
/// Wraps a handler so a message id it already handled is acknowledged without running it again (the inbox pattern).
/// </summary>
public static class IdempotentHandler
{
    /// <summary>Wraps <paramref name="handler"/> with de-duplication on <see cref="Envelope.Id"/>.</summary>
    /// <param name="handler">The handler to protect.</param>
    /// <param name="store">Where handled ids are remembered.</param>
    /// <param name="consumer">The consumer's name: ids are remembered per consumer, so two consumers of one message both run.</param>
    /// <param name="onDuplicate">Called for each duplicate skipped, for logging or counting; may be <see langword="null"/>.</param>
    /// <returns>The wrapped handler. A duplicate arriving while the first copy is still being handled is retried
    /// later through the retry policy (<see cref="DuplicateInProgressException"/>), never run concurrently.</returns>
    public static MessageHandler Wrap(MessageHandler handler, IIdempotencyStore store, string consumer, Action<ReceivedMessage>? onDuplicate = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        return async (message, cancellationToken) =>
        {
            var id = message.Envelope.Id;
            switch (await store.TryClaimAsync(consumer, id, cancellationToken).ConfigureAwait(false))
            {
                case IdempotencyClaim.AlreadyHandled:
                    onDuplicate?.Invoke(message);
                    return;
                case IdempotencyClaim.InProgress:
                    throw new DuplicateInProgressException(consumer, id);
            }

            try
            {
                await handler(message, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await store.ReleaseAsync(consumer, id, CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            await store.CompleteAsync(consumer, id, CancellationToken.None).ConfigureAwait(false);
        };
    }
}

/// <summary>
/// A copy of a message arrived while another copy was still being handled; it is retried later.
/// </summary>
public sealed class DuplicateInProgressException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="consumer">The consumer's name.</param>
    /// <param name="messageId">The message id.</param>
    public DuplicateInProgressException(string consumer, string messageId)
        : base($"Message '{messageId}' is being handled by consumer '{consumer}' already; this copy will be retried.")
    {
        Consumer = consumer;
        MessageId = messageId;
    }

    /// <summary>The consumer's name.</summary>
    public string Consumer { get; }

    /// <summary>The message id.</summary>
    public string MessageId { get; }
}

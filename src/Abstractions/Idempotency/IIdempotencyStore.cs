namespace Messaging.Adapters;

/// <summary>
/// Remembers which message ids a consumer has handled, for <see cref="IdempotentHandler"/>.
/// </summary>
/// <remarks>Implementations must be thread safe. A durable implementation (a database table keyed by consumer and
/// message id) makes de-duplication survive restarts; <see cref="InMemoryIdempotencyStore"/> does not.</remarks>
public interface IIdempotencyStore
{
    /// <summary>Claims a message id for handling.</summary>
    /// <param name="consumer">The consumer's name; ids are remembered per consumer.</param>
    /// <param name="messageId">The message id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the caller may handle the message, or it was handled, or another handler holds it now.</returns>
    ValueTask<IdempotencyClaim> TryClaimAsync(string consumer, string messageId, CancellationToken cancellationToken);

    /// <summary>Records a claimed message as handled.</summary>
    /// <param name="consumer">The consumer's name.</param>
    /// <param name="messageId">The message id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when it is recorded.</returns>
    ValueTask CompleteAsync(string consumer, string messageId, CancellationToken cancellationToken);

    /// <summary>Gives up a claim after a failure, so a retry can claim the id again.</summary>
    /// <param name="consumer">The consumer's name.</param>
    /// <param name="messageId">The message id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the claim is released.</returns>
    ValueTask ReleaseAsync(string consumer, string messageId, CancellationToken cancellationToken);
}

/// <summary>
/// The answer of <see cref="IIdempotencyStore.TryClaimAsync"/>.
/// </summary>
public enum IdempotencyClaim
{
    /// <summary>The id is new: handle the message, then complete or release the claim.</summary>
    Claimed = 0,

    /// <summary>The id was handled already: skip the message.</summary>
    AlreadyHandled = 1,

    /// <summary>Another handler is handling the id right now: try again later.</summary>
    InProgress = 2,
}

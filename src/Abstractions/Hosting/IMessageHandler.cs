namespace Messaging.Adapters;

/// <summary>
/// Handles typed messages in a hosted consumer; resolved from a new dependency-injection scope for every message.
/// </summary>
/// <typeparam name="TMessage">The message class.</typeparam>
public interface IMessageHandler<in TMessage>
{
    /// <summary>Handles one message; returning acknowledges it, throwing goes through the retry policy.</summary>
    /// <param name="message">The decoded message.</param>
    /// <param name="context">The delivery: envelope, attempt, source.</param>
    /// <param name="cancellationToken">Cancelled when the application stops and the handler should give up.</param>
    /// <returns>A task that completes when the message has been handled.</returns>
    ValueTask HandleAsync(TMessage message, ReceivedMessage context, CancellationToken cancellationToken);
}

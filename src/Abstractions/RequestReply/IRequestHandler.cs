namespace Messaging.Adapters;

/// <summary>
/// Answers typed requests in a hosted responder (<c>AddResponder</c>); resolved from a new dependency-injection scope
/// for every request. The response goes to the request's <see cref="Envelope.ReplyTo"/>, correlated to it.
/// </summary>
/// <typeparam name="TRequest">The request class.</typeparam>
/// <typeparam name="TResponse">The response class.</typeparam>
public interface IRequestHandler<in TRequest, TResponse>
{
    /// <summary>Handles one request; throwing goes through the retry policy, as for any handler, and sends no response.</summary>
    /// <param name="request">The decoded request.</param>
    /// <param name="context">The delivery: envelope, attempt, source.</param>
    /// <param name="cancellationToken">Cancelled when the application stops and the handler should give up.</param>
    /// <returns>The response.</returns>
    ValueTask<TResponse> HandleAsync(TRequest request, ReceivedMessage context, CancellationToken cancellationToken);
}

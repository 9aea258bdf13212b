namespace Messaging.Adapters;

/// <summary>
/// Sends typed requests to a queue and waits for their typed responses; registered by <c>AddMessaging</c>.
/// </summary>
/// <remarks>
/// <para>One <see cref="RequestClient"/> per application behind it, started on the first request (its reply queue is
/// created then) and disposed with the service provider (its reply queue deleted). Thread safe.</para>
/// <para>The responder is a hosted <c>AddResponder&lt;TRequest, TResponse, THandler&gt;</c>, or any consumer that
/// answers with <see cref="RequestReplyExtensions.ReplyAsync"/>.</para>
/// </remarks>
public interface IRequestClient
{
    /// <summary>Sends a request and waits for its response.</summary>
    /// <typeparam name="TRequest">The request class.</typeparam>
    /// <typeparam name="TResponse">The response class.</typeparam>
    /// <param name="queue">The queue the responder consumes.</param>
    /// <param name="request">The request.</param>
    /// <param name="timeout">How long to wait; <see langword="null"/> for <c>Messaging:RequestTimeout</c> (30 s by default).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The response.</returns>
    /// <exception cref="RequestTimeoutException">No response arrived in time.</exception>
    /// <exception cref="MessageDeserializationException">The response is not a <typeparamref name="TResponse"/>.</exception>
    Task<TResponse> GetResponseAsync<TRequest, TResponse>(string queue, TRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TRequest : notnull;
}

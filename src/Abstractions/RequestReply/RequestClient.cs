using System.Collections.Concurrent;

namespace Messaging.Adapters;

/// <summary>
/// Sends requests to queues and waits for their replies, over a private reply queue.
/// </summary>
/// <remarks>
/// <para>Each client owns one temporary reply queue (<c>&lt;prefix&gt;.tmp-&lt;random&gt;</c>, see
/// <see cref="DestinationNames.NewTemporaryQueue"/>), created by <see cref="StartAsync"/> and deleted by
/// <see cref="DisposeAsync"/>. Where the transport declares <see cref="TransportCapabilities.TemporaryQueues"/>, the broker
/// also removes it when the client's process dies without disposing it (RabbitMQ: after
/// <c>Messaging:RabbitMq:TemporaryQueueExpiry</c> without a consumer), the reply queue has no dead-letter queue, and a
/// reply sent after it is gone is dropped; elsewhere a crashed client leaves it behind. A request carries <see cref="Envelope.ReplyTo"/> = that queue; the
/// responder answers with <see cref="RequestReplyExtensions.ReplyAsync"/>, which sets the reply's
/// <see cref="Envelope.CorrelationId"/> to the request's id. Replies that arrive after their request timed out are
/// acknowledged and dropped.</para>
/// <para>Thread safe: many requests can wait at once.</para>
/// </remarks>
public sealed class RequestClient : IAsyncDisposable
{
    private readonly ITransport _transport;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ReceivedMessage>> _pending = new(StringComparer.Ordinal);
    private IConsumer? _consumer;
    private int _disposed;

    private RequestClient(ITransport transport, string replyQueue)
    {
        _transport = transport;
        ReplyQueue = replyQueue;
    }

    /// <summary>The queue this client's replies arrive on.</summary>
    public string ReplyQueue { get; }

    /// <summary>Creates a client and starts consuming its reply queue.</summary>
    /// <param name="transport">The transport.</param>
    /// <param name="replyQueuePrefix">The start of the reply queue's name.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running client; dispose it to delete its reply queue.</returns>
    public static async Task<RequestClient> StartAsync(ITransport transport, string replyQueuePrefix = "replies", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        var replyQueue = DestinationNames.TemporaryQueueName(replyQueuePrefix, nameof(replyQueuePrefix));
        var client = new RequestClient(transport, replyQueue);
        await transport.Topology.EnsureAsync(Destination.Queue(client.ReplyQueue), cancellationToken).ConfigureAwait(false);
        client._consumer = await transport.Queue.ConsumeAsync(
            client.ReplyQueue,
            client.OnReplyAsync,
            new ConsumerOptions { MaxInFlight = 64, Retry = RetryPolicy.None },
            cancellationToken).ConfigureAwait(false);
        return client;
    }

    /// <summary>Sends a request and waits for its reply.</summary>
    /// <param name="queue">The queue the responder consumes.</param>
    /// <param name="request">The request; its <see cref="Envelope.ReplyTo"/> is set by the client.</param>
    /// <param name="timeout">How long to wait for the reply.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reply.</returns>
    /// <exception cref="RequestTimeoutException">No reply arrived within <paramref name="timeout"/>.</exception>
    public async Task<ReceivedMessage> RequestAsync(string queue, Envelope request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var waiter = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(request.Id, waiter))
        {
            throw new ArgumentException($"A request with id '{request.Id}' is already waiting for its reply.", nameof(request));
        }

        try
        {
            await _transport.Queue.SendAsync(queue, request with { ReplyTo = ReplyQueue }, cancellationToken).ConfigureAwait(false);
            return await waiter.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new RequestTimeoutException(request.Id, queue, timeout);
        }
        finally
        {
            _pending.TryRemove(request.Id, out _);
        }
    }

    /// <summary>Stops consuming replies, fails the requests still waiting, and deletes the reply queue.</summary>
    /// <returns>A task that completes when the reply queue is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_consumer is not null)
        {
            await _consumer.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var waiter in _pending.Values)
        {
            waiter.TrySetException(new ObjectDisposedException(nameof(RequestClient)));
        }

        await _transport.Topology.DeleteAsync(Destination.Queue(ReplyQueue)).ConfigureAwait(false);
    }

    private ValueTask OnReplyAsync(ReceivedMessage reply, CancellationToken cancellationToken)
    {
        if (reply.Envelope.CorrelationId is { } correlationId && _pending.TryGetValue(correlationId, out var waiter))
        {
            waiter.TrySetResult(reply);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Answers requests sent with <see cref="RequestClient"/>.
/// </summary>
public static class RequestReplyExtensions
{
    /// <summary>Sends a reply to a request's <see cref="Envelope.ReplyTo"/> queue, correlated to the request.</summary>
    /// <param name="queue">The queues.</param>
    /// <param name="request">The request being answered.</param>
    /// <param name="reply">The reply; its correlation and causation ids are set from the request.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the reply is confirmed.</returns>
    /// <exception cref="DeadLetterException">The request has no reply-to queue; letting it escape the handler dead-letters the request with that reason.</exception>
    public static ValueTask ReplyAsync(this IQueue queue, ReceivedMessage request, Envelope reply, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(reply);
        var replyTo = request.Envelope.ReplyTo;
        if (string.IsNullOrEmpty(replyTo))
        {
            throw new DeadLetterException($"Request '{request.Envelope.Id}' has no ReplyTo queue, so it cannot be answered.");
        }

        return queue.SendAsync(replyTo, reply with { CorrelationId = request.Envelope.Id, CausationId = request.Envelope.Id }, cancellationToken);
    }
}

using Microsoft.Extensions.Options;

namespace Messaging.Adapters;

/// <summary>
/// The application's <see cref="IRequestClient"/>: one <see cref="RequestClient"/>, started on the first request.
/// </summary>
internal sealed class HostedRequestClient(ITransport transport, MessageCodec codec, IOptions<MessagingOptions> options) : IRequestClient, IAsyncDisposable
{
    private readonly SemaphoreSlim _starting = new(1, 1);
    private RequestClient? _client;
    private bool _disposed;

    public async Task<TResponse> GetResponseAsync<TRequest, TResponse>(string queue, TRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TRequest : notnull
    {
        var client = await ClientAsync(cancellationToken).ConfigureAwait(false);
        var reply = await client.RequestAsync(queue, codec.Encode(request), timeout ?? options.Value.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return codec.Decode<TResponse>(reply.Envelope);
    }

    public async ValueTask DisposeAsync()
    {
        await _starting.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_client is not null)
            {
                await _client.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _starting.Release();
            _starting.Dispose();
        }
    }

    private async ValueTask<RequestClient> ClientAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is { } started)
        {
            return started;
        }

        await _starting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _client ??= await RequestClient.StartAsync(transport, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _starting.Release();
        }
    }
}

using Messaging.Adapters.RabbitMq.Connection;
using Messaging.Adapters.RabbitMq.Publishing;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// The one channel topology operations share on the consuming connection, used by one caller at a time; a channel
/// the broker closed over a refused operation is replaced, and an operation cut by a lost connection runs again once
/// the connection is back.
/// </summary>
internal sealed class TopologyChannel(RabbitMqConnection connection, RabbitMqTransportOptions options) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IChannel? _channel;

    /// <summary>Runs an operation on the channel, one caller at a time.</summary>
    /// <param name="operation">The operation; it must be idempotent, as it runs again after a lost connection.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the operation did.</returns>
    public async Task RunAsync(Func<IChannel, Task> operation, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var channel = await GetAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await operation(channel).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (BrokerErrors.IsChannelRefusal(ex, out _))
                {
                    // The broker closed the channel over this operation; the next one gets a new channel.
                    await DiscardAsync().ConfigureAwait(false);
                    throw;
                }
                catch (Exception ex) when (BrokerErrors.IsConnectionLoss(ex) && ex is not ObjectDisposedException)
                {
                    // Declarations are idempotent: run them again once the connection is back.
                    if (!await connection.WaitUntilUsableAsync(options.PublishTimeout, cancellationToken).ConfigureAwait(false))
                    {
                        throw connection.Unavailable(options.PublishTimeout);
                    }
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs an operation that the broker may refuse on purpose (a probing declaration) on a channel of its
    /// own, closed afterwards; usable inside <see cref="RunAsync"/>, whose channel it leaves alone.</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the operation did.</returns>
    public async Task RunOnFreshChannelAsync(Func<IChannel, Task> operation, CancellationToken cancellationToken)
    {
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(false, false), options.PublishTimeout, cancellationToken).ConfigureAwait(false);
        try
        {
            await operation(channel).ConfigureAwait(false);
        }
        finally
        {
            await PublishChannelPool.CloseQuietlyAsync(channel).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _channel, null) is { } channel)
        {
            await PublishChannelPool.CloseQuietlyAsync(channel).ConfigureAwait(false);
        }
    }

    private async Task<IChannel> GetAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        await DiscardAsync().ConfigureAwait(false);
        _channel = await connection.CreateChannelAsync(new CreateChannelOptions(false, false), options.PublishTimeout, cancellationToken).ConfigureAwait(false);
        return _channel;
    }

    private async Task DiscardAsync()
    {
        if (_channel is { } channel)
        {
            _channel = null;
            await PublishChannelPool.CloseQuietlyAsync(channel).ConfigureAwait(false);
        }
    }
}

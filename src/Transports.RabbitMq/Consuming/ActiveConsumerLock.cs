using Messaging.Adapters.RabbitMq.Connection;
using Messaging.Adapters.RabbitMq.Publishing;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Messaging.Adapters.RabbitMq.Consuming;

/// <summary>
/// Elects one active holder among competing consumers with the broker's single active consumer: every candidate
/// consumes a small single-active-consumer queue holding a token; the broker delivers the token to the active
/// consumer only, which keeps it unacknowledged while it holds the lock. When the holder stops, or its connection
/// drops, the broker requeues the token and hands it to the next candidate, without any polling.
/// </summary>
/// <remarks>The lock queue is a non-durable, auto-deleted classic queue (<c>x-single-active-consumer</c>): it vanishes
/// with its last candidate. Each candidate adds a token as it starts, so a token exists whenever one is waited for;
/// spare tokens are harmless because the holder's prefetch of one keeps it from receiving a second.</remarks>
internal sealed class ActiveConsumerLock : IAsyncDisposable
{
    private readonly IChannel _channel;
    private readonly TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _released;

    private ActiveConsumerLock(IChannel channel)
    {
        _channel = channel;
    }

    /// <summary>Completes when the lock is lost without being released: the connection dropped, so another
    /// candidate may hold it now.</summary>
    public Task Lost => _lost.Task;

    /// <summary>Waits until this candidate is the active one.</summary>
    /// <param name="transport">The transport: the lock is held on its consuming connection.</param>
    /// <param name="lockQueue">The lock queue's name.</param>
    /// <param name="consumerTag">The consumer tag, one the connection does not recover by itself.</param>
    /// <param name="cancellationToken">Cancels the wait (the consumer is stopping).</param>
    /// <param name="whenStandby">Called when another candidate holds the lock, so this one waits as a standby.</param>
    /// <returns>The held lock; dispose it to release.</returns>
    /// <remarks>The token is published through the transport's publishing connection: a broker under a memory or
    /// disk alarm blocks every connection that publishes, and the consuming connection must keep acknowledging.</remarks>
    public static async Task<ActiveConsumerLock> AcquireAsync(RabbitMqTransport transport, string lockQueue, string consumerTag, CancellationToken cancellationToken, Action? whenStandby = null)
    {
        var token = new PublishTarget(string.Empty, lockQueue, Mandatory: false, lockQueue, "lock queue", Provision: null);
        while (true)
        {
            var channel = await transport.ConsumingConnection.CreateChannelAsync(new CreateChannelOptions(false, false), transport.Options.PublishTimeout, cancellationToken).ConfigureAwait(false);
            var held = new ActiveConsumerLock(channel);
            // Completes with false when the channel closes first. Not an exception: a standby that stops has given up
            // waiting, and an exception it never reads would surface as an unobserved task failure.
            var granted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            string? closedBecause = null;
            channel.ChannelShutdownAsync += (_, reason) =>
            {
                closedBecause = reason.ReplyText;
                granted.TrySetResult(false);
                if (Volatile.Read(ref held._released) == 0)
                {
                    held._lost.TrySetResult();
                }

                return Task.CompletedTask;
            };
            try
            {
                await channel.BasicQosAsync(0, 1, false, cancellationToken).ConfigureAwait(false);
                var declared = await channel.QueueDeclareAsync(
                    lockQueue,
                    durable: false,
                    exclusive: false,
                    autoDelete: true,
                    arguments: new Dictionary<string, object?> { ["x-queue-type"] = "classic", ["x-single-active-consumer"] = true, ["x-max-length"] = 1L },
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                var consumer = new AsyncEventingBasicConsumer(channel);
                consumer.ReceivedAsync += (_, _) =>
                {
                    granted.TrySetResult(true);
                    return Task.CompletedTask;
                };
                await channel.BasicConsumeAsync(lockQueue, false, consumerTag, false, false, null, consumer, cancellationToken).ConfigureAwait(false);
                await transport.Publishing.SendAsync(token, new Envelope("messaging.lock-token", ReadOnlyMemory<byte>.Empty), cancellationToken).ConfigureAwait(false);
                if (declared.ConsumerCount > 0)
                {
                    whenStandby?.Invoke();
                }

                if (!await granted.Task.WaitAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw new LockChannelClosedException(closedBecause ?? "closed");
                }

                return held;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && (ex is LockChannelClosedException || BrokerErrors.IsConnectionLoss(ex) || (BrokerErrors.IsChannelRefusal(ex, out var code) && code == BrokerErrors.NotFound)))
            {
                // The connection dropped, or the auto-deleted lock queue vanished between declaring and consuming it
                // (its last candidate left at that moment): try again on a new channel.
                await held.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await held.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Releases the lock: closing the channel requeues the token for the next candidate.</summary>
    /// <returns>A task that completes when the channel is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        await PublishChannelPool.CloseQuietlyAsync(_channel).ConfigureAwait(false);
    }

    /// <summary>The lock channel closed while waiting for the token.</summary>
    private sealed class LockChannelClosedException(string reason) : Exception($"The lock channel closed while waiting: {reason}");
}

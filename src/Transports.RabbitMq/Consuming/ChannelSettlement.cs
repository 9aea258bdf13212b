using Messaging.Adapters.RabbitMq.Connection;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Consuming;

/// <summary>
/// Acknowledges or requeues one delivery on the channel it came from, where a closed channel is not an error: with
/// the channel gone the broker redelivers every unacknowledged delivery (queues) or the next session starts from the
/// checkpoint (streams).
/// </summary>
internal static class ChannelSettlement
{
    /// <summary>Sends <c>basic.ack</c> or <c>basic.nack</c> with requeue.</summary>
    /// <returns><see langword="null"/> when it was sent; otherwise why the channel could not take it.</returns>
    public static async ValueTask<string?> SettleQuietlyAsync(IChannel channel, ulong tag, bool ack)
    {
        try
        {
            if (ack)
            {
                await channel.BasicAckAsync(tag, false, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await channel.BasicNackAsync(tag, false, true, CancellationToken.None).ConfigureAwait(false);
            }

            return null;
        }
        catch (Exception ex) when (BrokerErrors.IsConnectionLoss(ex) || BrokerErrors.IsChannelRefusal(ex, out _))
        {
            return ex.Message;
        }
    }
}

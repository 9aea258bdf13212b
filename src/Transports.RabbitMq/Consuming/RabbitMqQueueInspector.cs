using Messaging.Adapters.RabbitMq.Connection;
using Messaging.Adapters.RabbitMq.Publishing;
using Messaging.Adapters.Transport;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Consuming;

/// <summary>
/// Counts and peeks RabbitMQ queues with the broker's own means: the count from a passive <c>queue.declare</c> (the
/// messages ready; those a consumer holds unacknowledged are not counted), a peek by <c>basic.get</c> without
/// acknowledgement on a channel of its own, closed afterwards so every message taken returns to the queue.
/// </summary>
/// <remarks>On a quorum queue every message returned counts as a delivery towards its <c>x-delivery-limit</c>, at which
/// the broker drops or dead-letters it. So a peek reads only queues without that limit: dead-letter queues (declared
/// without it, <see cref="Topology.QueueDefinitions.DeadLetters"/>; one declared with it by an earlier version is refused)
/// and, with classic queues, any queue. Peeking any other queue is refused.</remarks>
internal sealed class RabbitMqQueueInspector(RabbitMqTransport transport) : IQueueInspector
{
    public async Task<QueueCount> CountAsync(string queue, CancellationToken cancellationToken = default)
    {
        Validate(queue);
        var count = await PassiveCountAsync(queue, cancellationToken).ConfigureAwait(false);
        return count is { } messages ? new QueueCount(messages) : QueueCount.Missing;
    }

    public async Task<IReadOnlyList<Envelope>> PeekAsync(string queue, int max, CancellationToken cancellationToken = default)
    {
        Validate(queue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        if (await PassiveCountAsync(queue, cancellationToken).ConfigureAwait(false) is not { } before)
        {
            return [];
        }

        var provisioner = transport.Provisioner;
        if (DestinationNames.IsDeadLetterQueue(queue))
        {
            if (!await provisioner.HasDeadLetterDefinitionAsync(queue, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"Dead-letter queue '{queue}' was declared with other arguments than a dead-letter queue's (an earlier version set x-delivery-limit on it): peeking it could make the broker drop its letters, so it is refused. Once it is empty, delete it so that it is declared again without the limit.");
            }
        }
        else if (provisioner.SetsDeliveryLimit)
        {
            throw new InvalidOperationException($"Queue '{queue}' is a quorum queue with x-delivery-limit: each peek would count as a delivery towards the limit, at which the broker dead-letters the message, so it is refused. Only dead-letter queues (and classic queues) can be peeked on RabbitMQ.");
        }

        var letters = new List<Envelope>();
        await provisioner.Channel.RunOnFreshChannelAsync(
            async channel =>
            {
                // Never acknowledged: closing the channel (RunOnFreshChannelAsync does, whatever happens) puts them back.
                while (letters.Count < max)
                {
                    var got = await channel.BasicGetAsync(queue, autoAck: false, cancellationToken).ConfigureAwait(false);
                    if (got is null)
                    {
                        break;
                    }

                    letters.Add(AmqpEnvelope.FromDelivery(got.BasicProperties, got.Body));
                }
            },
            cancellationToken).ConfigureAwait(false);
        await WaitUntilBackAsync(queue, before, cancellationToken).ConfigureAwait(false);
        return letters;
    }

    /// <summary>Waits (briefly) until the queue shows the messages the closed channel gave back: a quorum queue takes
    /// them back asynchronously after the channel is gone, and a count or a consumer right after the peek would miss
    /// them. Bounded, since consumers may take messages meanwhile.</summary>
    private async Task WaitUntilBackAsync(string queue, uint before, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)ReturnWait.TotalMilliseconds;
        while (Environment.TickCount64 < deadline
            && await PassiveCountAsync(queue, cancellationToken).ConfigureAwait(false) is { } now && now < before)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    private static readonly TimeSpan ReturnWait = TimeSpan.FromSeconds(2);

    /// <summary>The ready messages of a queue, or <see langword="null"/> when it does not exist.</summary>
    private async Task<uint?> PassiveCountAsync(string queue, CancellationToken cancellationToken)
    {
        uint? count = null;
        try
        {
            await transport.Provisioner.Channel.RunOnFreshChannelAsync(
                async channel => count = (await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false)).MessageCount,
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (BrokerErrors.IsChannelRefusal(ex, out var code) && code == BrokerErrors.NotFound)
        {
            return null;
        }

        return count;
    }

    private void Validate(string queue)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
    }
}

using Messaging.Adapters.RabbitMq.Connection;
using Messaging.Adapters.RabbitMq.Publishing;
using Messaging.Adapters.RabbitMq.Topology;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Messaging.Adapters.RabbitMq.Consuming;

/// <summary>
/// How a queue (or a subscription's queue) is received on RabbitMQ: a channel with prefetch =
/// <see cref="ConsumerOptions.MaxInFlight"/>, recovered by this receiver, and each outcome carried out in AMQP terms
/// (ack; nack with requeue; a delayed retry published to the delay queues, then ack; a dead letter published through
/// the dead-letter exchange, then ack — each ack only after the publish was confirmed).
/// </summary>
/// <remarks>
/// <para>A channel and its <c>basic.consume</c> form a session. When the connection drops, the session ends: the
/// handlers still running finish (their acknowledgements are lost with the channel, so the broker redelivers those
/// messages: duplicates, never losses), and a new session starts once the connection is back. Waiting for them first
/// keeps the in-flight limit true across the recovery.</para>
/// <para>With <see cref="MessageOrdering.ByKey"/>, a session starts only once this consumer holds the queue's
/// <see cref="ActiveConsumerLock"/>, so one consumer at a time receives the queue in its order; the engine runs each
/// key in its lane. When such a session is lost, its running handlers are cancelled and waited for before the lock is
/// sought again, so two holders never run one key at once.</para>
/// <para>The broker's delivery count (<c>x-delivery-count</c>, quorum queues) is added to the attempts, so a message
/// released or left by a crashed consumer continues its count.</para>
/// </remarks>
internal sealed partial class RabbitMqQueueReceiver(RabbitMqTransport transport, string queue, ConsumerOptions options, string? topic, string? subscription)
    : IDeliveryReceiver<RabbitMqDelivery>
{
    private readonly bool _ordered = options.Ordering == MessageOrdering.ByKey;
    private readonly ILogger _logger = transport.ConsumerLogger;
    private readonly TaskCompletionSource _deliveriesStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Its own connection: see ConsumerConnection for why (a message the client cannot decode drops a connection).
    private readonly ConsumerConnection _connection = transport.OpenConsumerConnection(queue, options.MaxInFlight);
    private IDeliverySink<RabbitMqDelivery> _sink = null!;
    private ConsumerSession? _session;
    private Task _supervisor = Task.CompletedTask;

    /// <summary>Without ordering the first session opens here, so a missing queue fails the call; with ordering the
    /// queue's existence is checked here and the consumer then waits for the lock in the background.</summary>
    public async Task StartAsync(IDeliverySink<RabbitMqDelivery> sink, CancellationToken cancellationToken)
    {
        _sink = sink;
        if (_ordered)
        {
            try
            {
                await transport.Provisioner.RunAsync(channel => channel.QueueDeclarePassiveAsync(queue, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (BrokerErrors.IsChannelRefusal(ex, out var code) && code == BrokerErrors.NotFound)
            {
                throw QueueNotFound(ex);
            }
        }
        else
        {
            _session = await OpenSessionAsync(cancellationToken).ConfigureAwait(false);
        }

        _supervisor = Task.Run(SuperviseAsync, CancellationToken.None);
    }

    public async Task StopReceivingAsync()
    {
        try
        {
            if (Volatile.Read(ref _session) is { } session)
            {
                await CancelConsumeAsync(session).ConfigureAwait(false);
            }
        }
        finally
        {
            _deliveriesStopped.TrySetResult();
        }
    }

    public ValueTask AcknowledgeAsync(RabbitMqDelivery delivery) => SettleQuietlyAsync(delivery, ack: true);

    /// <summary>While the session is ending (a stop, a lost channel) a release is left to the channel's close: the
    /// broker then hands every unacknowledged delivery back at the head of the queue in queue order, on quorum and
    /// classic queues alike, whereas a <c>basic.nack</c> with requeue puts it behind newer messages on a quorum queue
    /// (RabbitMQ 3.10), which would break the order of its key at a hand-over. It also sends nothing on a channel
    /// that is being closed.</summary>
    public ValueTask ReleaseAsync(RabbitMqDelivery delivery, int attemptsMade) =>
        _sink.IsStopping || delivery.Session.Scope.IsEnded ? ValueTask.CompletedTask : SettleQuietlyAsync(delivery, ack: false);

    public async ValueTask RetryLaterAsync(RabbitMqDelivery delivery, Envelope retry, TimeSpan delay)
    {
        await transport.PublishRetryAsync(queue, retry, delay, delivery.NativeHeaders, CancellationToken.None).ConfigureAwait(false);
        await SettleQuietlyAsync(delivery, ack: true).ConfigureAwait(false);
    }

    public async ValueTask DeadLetterAsync(RabbitMqDelivery delivery, Envelope deadLetter)
    {
        if (DestinationNames.IsTemporaryQueue(queue))
        {
            // A temporary queue has no dead-letter queue: one would outlive its owner.
            LogTemporaryDeadLetterDropped(_logger, deadLetter.Id, queue, deadLetter.Headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterReason));
            await SettleQuietlyAsync(delivery, ack: true).ConfigureAwait(false);
            return;
        }

        await transport.PublishDeadLetterAsync(queue, deadLetter, delivery.NativeHeaders, CancellationToken.None).ConfigureAwait(false);
        await SettleQuietlyAsync(delivery, ack: true).ConfigureAwait(false);
    }

    public async Task CloseAsync()
    {
        await _supervisor.ConfigureAwait(false);
        if (Interlocked.Exchange(ref _session, null) is { } session)
        {
            await EndSessionAsync(session, lost: false).ConfigureAwait(false);
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task SuperviseAsync()
    {
        while (!_sink.IsStopping)
        {
            if (Volatile.Read(ref _session) is { } session)
            {
                await Task.WhenAny(session.Scope.Ended, Task.Delay(Timeout.Infinite, _sink.Stopping)).ConfigureAwait(false);
                if (_sink.IsStopping)
                {
                    return;
                }

                LogSessionLost(_logger, queue, session.Scope.EndReason ?? "the channel closed");
                await EndSessionAsync(session, lost: true).ConfigureAwait(false);
                Volatile.Write(ref _session, null);
            }

            try
            {
                var opened = await OpenSessionAsync(_sink.Stopping).ConfigureAwait(false);
                if (_sink.IsStopping)
                {
                    // The stop began while this session was opening and could not cancel it.
                    await CancelConsumeAsync(opened).ConfigureAwait(false);
                    return;
                }

                LogSessionStarted(_logger, queue);
            }
            catch (OperationCanceledException) when (_sink.IsStopping)
            {
                return;
            }
            catch (RabbitMqDestinationNotFoundException ex)
            {
                // The queue was deleted under the consumer: it cannot go on, and says so through its Completion.
                _sink.Fail(ex);
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogSessionFailed(_logger, queue, transport.Options.RecoveryInterval.TotalSeconds, ex);
                try
                {
                    await Task.Delay(transport.Options.RecoveryInterval, _sink.Stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<ConsumerSession> OpenSessionAsync(CancellationToken cancellationToken)
    {
        var connection = _connection.Connection;
        ActiveConsumerLock? held = null;
        if (_ordered)
        {
            held = await ActiveConsumerLock.AcquireAsync(transport, TopologyProvisioner.ActiveConsumerQueue(queue), RabbitMqTransport.ManagedConsumerTag("lock"), cancellationToken).ConfigureAwait(false);
        }

        IChannel? channel = null;
        try
        {
            // Deliveries are taken one by one in queue order (the client's dispatch concurrency of one) and handed to
            // the engine; the prefetch bounds how many are in flight.
            channel = await connection.CreateChannelAsync(new CreateChannelOptions(false, false), transport.Options.PublishTimeout, cancellationToken).ConfigureAwait(false);
            var session = new ConsumerSession(channel, _sink.CreateScope($"channel {channel.ChannelNumber} of {queue}"), held);
            channel.ChannelShutdownAsync += (_, reason) =>
            {
                session.Scope.End($"{reason.ReplyCode} {reason.ReplyText}");
                return Task.CompletedTask;
            };
            if (held is not null)
            {
                _ = held.Lost.ContinueWith(_ => session.Scope.End("the active-consumer lock was lost"), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            if (held is not null)
            {
                // The lock is held, so every other consumer of the queue is one that did not ask for ordering.
                QueueDeclareOk state;
                try
                {
                    state = await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (BrokerErrors.IsChannelRefusal(ex, out var code) && code == BrokerErrors.NotFound)
                {
                    throw QueueNotFound(ex);
                }

                if (state.ConsumerCount > 0)
                {
                    LogOrderedBesideOthers(_logger, queue, state.ConsumerCount);
                }
            }

            await channel.BasicQosAsync(0, _connection.PrefetchFor(session), false, cancellationToken).ConfigureAwait(false);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, args) =>
            {
                Receive(session, args);
                return Task.CompletedTask;
            };
            consumer.UnregisteredAsync += (_, _) =>
            {
                if (!session.Cancelling)
                {
                    session.Scope.End("the broker cancelled the consumer (the queue was deleted?)");
                }

                return Task.CompletedTask;
            };

            // Current before consuming: deliveries may arrive before basic.consume-ok is processed.
            Volatile.Write(ref _session, session);
            try
            {
                session.ConsumerTag = await channel.BasicConsumeAsync(queue, false, RabbitMqTransport.ManagedConsumerTag("consumer"), false, false, null, consumer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (BrokerErrors.IsChannelRefusal(ex, out var code) && code == BrokerErrors.NotFound)
            {
                throw QueueNotFound(ex);
            }

            return session;
        }
        catch
        {
            Volatile.Write(ref _session, null);
            if (channel is not null)
            {
                await PublishChannelPool.CloseQuietlyAsync(channel).ConfigureAwait(false);
            }

            if (held is not null)
            {
                await held.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    private void Receive(ConsumerSession session, BasicDeliverEventArgs args)
    {
        var envelope = AmqpEnvelope.FromDelivery(args.BasicProperties, args.Body);

        // Quorum queues count earlier deliveries of this message (releases, crashed consumers); classic queues do not.
        var deliveryCount = AmqpEnvelope.ReadLong(args.BasicProperties, AmqpEnvelope.DeliveryCountHeader) is { } earlier and >= 0 and < int.MaxValue
            ? (int)earlier + 1
            : (int?)null;
        var message = new ReceivedMessage(envelope, queue, DeliveryAttempts.NextAttempt(envelope, deliveryCount), args.Redelivered)
        {
            Topic = topic,
            Subscription = subscription,
            DeliveryCount = deliveryCount,
        };
        _sink.Dispatch(new RabbitMqDelivery(message, session, args.DeliveryTag, args.BasicProperties.Headers));
    }

    private RabbitMqDestinationNotFoundException QueueNotFound(Exception error) => new(
        queue,
        messageId: null,
        $"Cannot consume queue '{queue}': it does not exist on RabbitMQ. " + (transport.Options.ProvisionOnFirstUse
            ? "It was deleted after the transport declared it."
            : "Messaging:RabbitMq:ProvisionOnFirstUse is off, so the transport does not create it: create it with ITopology.EnsureAsync."),
        error);

    private async ValueTask SettleQuietlyAsync(RabbitMqDelivery delivery, bool ack)
    {
        if (ack && _sink.IsStopping)
        {
            // An acknowledgement frees prefetch credit, and a quorum queue fills it at once; a delivery that then
            // crosses the basic.cancel is returned by the broker behind newer messages. Acknowledging only after
            // cancel-ok keeps what this consumer held together at the head of the queue.
            await _deliveriesStopped.Task.ConfigureAwait(false);
        }

        if (_connection.EndsCarefulMode(delivery.Session))
        {
            // Stop the one-at-a-time session before settling, so the broker delivers nothing more to it.
            await CancelConsumeAsync(delivery.Session).ConfigureAwait(false);
            await SettleAsync(delivery, ack).ConfigureAwait(false);
            delivery.Session.Scope.End("the undecodable message was set aside; resuming with the full prefetch");
            return;
        }

        await SettleAsync(delivery, ack).ConfigureAwait(false);
    }

    private async ValueTask SettleAsync(RabbitMqDelivery delivery, bool ack)
    {
        if (await ChannelSettlement.SettleQuietlyAsync(delivery.Session.Channel, delivery.Tag, ack).ConfigureAwait(false) is { } problem)
        {
            // The channel is gone, and with it every unacknowledged delivery: the broker redelivers this one.
            LogSettleLost(_logger, delivery.Tag, queue, problem);
        }
    }

    private static async Task CancelConsumeAsync(ConsumerSession session)
    {
        session.Cancelling = true;
        if (session.ConsumerTag is null || !session.Channel.IsOpen)
        {
            return;
        }

        try
        {
            await session.Channel.BasicCancelAsync(session.ConsumerTag, false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (BrokerErrors.IsConnectionLoss(ex) || BrokerErrors.IsChannelRefusal(ex, out _))
        {
            // The channel went away: the broker stopped delivering anyway.
        }
    }

    /// <summary>Ends a session: with ordering, when lost, cancels its running handlers (so the next holder of the lock
    /// never overlaps them); waits for them; then closes the channel, which hands the deliveries that waited in lanes
    /// (and every other unsettled one) back to the head of the queue in queue order, and only then releases the lock,
    /// so the next holder receives them first.</summary>
    private async Task EndSessionAsync(ConsumerSession session, bool lost)
    {
        await _sink.EndScopeAsync(session.Scope, session.Scope.EndReason ?? "the consumer stopped", cancelRunning: lost && _ordered).ConfigureAwait(false);
        await PublishChannelPool.CloseQuietlyAsync(session.Channel).ConfigureAwait(false);
        if (session.Lock is not null)
        {
            await session.Lock.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1207, Level = LogLevel.Warning, Message = "Message {MessageId} of temporary queue {Queue} is dropped instead of dead-lettered (a temporary queue has no dead-letter queue): {Reason}")]
    private static partial void LogTemporaryDeadLetterDropped(ILogger logger, string messageId, string queue, string? reason);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Warning, Message = "Queue {Queue} is consumed in key order but has {Count} consumer(s) that did not ask for it; the order holds only if every consumer of the queue asks for MessageOrdering.ByKey")]
    private static partial void LogOrderedBesideOthers(ILogger logger, string queue, uint count);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, Message = "Could not settle delivery {DeliveryTag} of {Queue} ({Problem}); the broker redelivers it")]
    private static partial void LogSettleLost(ILogger logger, ulong deliveryTag, string queue, string problem);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Consumer of {Queue} lost its session ({Reason}); resuming after the connection recovers")]
    private static partial void LogSessionLost(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Information, Message = "Consumer of {Queue} is consuming again")]
    private static partial void LogSessionStarted(ILogger logger, string queue);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "Consumer of {Queue} could not resume; trying again in {Seconds} s")]
    private static partial void LogSessionFailed(ILogger logger, string queue, double seconds, Exception exception);
}

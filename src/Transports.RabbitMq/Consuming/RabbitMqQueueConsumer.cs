using Messaging.Adapters.RabbitMq.Connection;
using Messaging.Adapters.RabbitMq.Publishing;
using Messaging.Adapters.RabbitMq.Topology;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Messaging.Adapters.RabbitMq.Consuming;

/// <summary>
/// One consumer of a queue (or of a subscription's queue): a channel with prefetch = <see cref="ConsumerOptions.MaxInFlight"/>,
/// each delivery handled through the <see cref="HandlerPipeline"/> and acknowledged only once its outcome was carried
/// out (retry published, dead letter published, both confirmed).
/// </summary>
/// <remarks>
/// <para>The consumer manages its own recovery: a channel and its <c>basic.consume</c> form a session; when the
/// connection drops, the session ends, the handlers still running finish (their acknowledgements are lost with the
/// channel, so the broker redelivers those messages: duplicates, never losses), and a new session starts once the
/// connection is back. Waiting for them first keeps the in-flight limit true across the recovery.</para>
/// <para>With <see cref="MessageOrdering.ByKey"/>, a session starts only once this consumer holds the queue's
/// <see cref="ActiveConsumerLock"/>, so one consumer at a time receives the queue in its order; inside it, each key
/// has a lane (<see cref="KeyLanes{T}"/>) and keys run concurrently up to the prefetch. Delayed retries wait in the
/// process, holding the key's turn. When the session is lost, its running handlers are cancelled and waited for
/// before the lock is sought again, so two holders never run one key at once.</para>
/// </remarks>
internal sealed partial class RabbitMqQueueConsumer : IConsumer
{
    // Lets StopAsync/DisposeAsync called from inside one of this consumer's handlers skip waiting for that handler.
    private static readonly AsyncLocal<RabbitMqQueueConsumer?> CurrentConsumer = new();

    private readonly RabbitMqTransport _transport;
    private readonly string _queue;
    private readonly string? _topic;
    private readonly string? _subscription;
    private readonly SubscriptionFilter? _filter;
    private readonly HandlerPipeline _pipeline;
    private readonly ushort _prefetch;
    private readonly KeyLanes<Delivery>? _lanes;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _cancelHandlers = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly List<(int AtMost, TaskCompletionSource Signal)> _runningWaiters = [];
    private Session? _session;
    private Task _supervisor = Task.CompletedTask;
    private int _running;
    private int _stopRequested;
    private int _finishing;

    public RabbitMqQueueConsumer(RabbitMqTransport transport, string queue, HandlerPipeline pipeline, ConsumerOptions options, string? topic, string? subscription, SubscriptionFilter? filter)
    {
        _transport = transport;
        _queue = queue;
        _pipeline = pipeline;
        _prefetch = (ushort)options.MaxInFlight;
        _lanes = options.Ordering == MessageOrdering.ByKey ? new KeyLanes<Delivery>() : null;
        _topic = topic;
        _subscription = subscription;
        _filter = filter;
        _logger = transport.ConsumerLogger;
    }

    private bool Ordered => _lanes is not null;

    private bool Stopping => Volatile.Read(ref _stopRequested) != 0;

    /// <summary>Starts consuming. Without ordering the first session opens here, so a missing queue fails the call;
    /// with ordering the queue's existence is checked here and the consumer then waits for the lock in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Ordered)
        {
            try
            {
                await _transport.Provisioner.RunAsync(async channel =>
                {
                    var state = await channel.QueueDeclarePassiveAsync(_queue, cancellationToken).ConfigureAwait(false);
                    if (state.ConsumerCount > 0)
                    {
                        LogOrderedBesideOthers(_logger, _queue, state.ConsumerCount);
                    }
                }, cancellationToken).ConfigureAwait(false);
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

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        var own = CurrentConsumer.Value == this ? 1 : 0;
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            _transport.Forget(this);
            await _stopping.CancelAsync().ConfigureAwait(false);
            if (Volatile.Read(ref _session) is { } session)
            {
                await CancelConsumeAsync(session).ConfigureAwait(false);
            }
        }

        using var registration = cancellationToken.Register(static state => ((RabbitMqQueueConsumer)state!).CancelHandlers(), this);
        await WaitUntilRunningAtMostAsync(own).ConfigureAwait(false);
        if (own == 0)
        {
            await FinishAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(new CancellationToken(canceled: true)));

    private async Task SuperviseAsync()
    {
        while (!Stopping)
        {
            if (Volatile.Read(ref _session) is { } session)
            {
                await Task.WhenAny(session.Ended.Task, Task.Delay(Timeout.Infinite, _stopping.Token)).ConfigureAwait(false);
                if (Stopping)
                {
                    return;
                }

                LogSessionLost(_logger, _queue, session.EndReason ?? "the channel closed");
                await EndSessionAsync(session, lost: true).ConfigureAwait(false);
                Volatile.Write(ref _session, null);
            }

            try
            {
                var opened = await OpenSessionAsync(_stopping.Token).ConfigureAwait(false);
                if (Stopping)
                {
                    // StopAsync ran while this session was opening and could not cancel it.
                    await CancelConsumeAsync(opened).ConfigureAwait(false);
                    return;
                }

                LogSessionStarted(_logger, _queue);
            }
            catch (OperationCanceledException) when (Stopping)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogSessionFailed(_logger, _queue, _transport.Options.RecoveryInterval.TotalSeconds, ex);
                try
                {
                    await Task.Delay(_transport.Options.RecoveryInterval, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<Session> OpenSessionAsync(CancellationToken cancellationToken)
    {
        var connection = _transport.ConsumingConnection;
        var timeout = _transport.Options.PublishTimeout;
        ActiveConsumerLock? held = null;
        if (Ordered)
        {
            held = await ActiveConsumerLock.AcquireAsync(_transport, TopologyProvisioner.ActiveConsumerQueue(_queue), RabbitMqTransport.ManagedConsumerTag("lock"), cancellationToken).ConfigureAwait(false);
        }

        IChannel? channel = null;
        try
        {
            // Deliveries are taken one by one in queue order (the client's dispatch concurrency of one) and handed to
            // the thread pool, or to their key's lane; the prefetch bounds how many are in flight.
            channel = await connection.CreateChannelAsync(new CreateChannelOptions(false, false), timeout, cancellationToken).ConfigureAwait(false);
            var session = new Session(channel, held, CancellationTokenSource.CreateLinkedTokenSource(_cancelHandlers.Token));
            channel.ChannelShutdownAsync += (_, reason) =>
            {
                session.End($"{reason.ReplyCode} {reason.ReplyText}");
                return Task.CompletedTask;
            };
            if (held is not null)
            {
                _ = held.Lost.ContinueWith(_ => session.End("the active-consumer lock was lost"), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            await channel.BasicQosAsync(0, _prefetch, false, cancellationToken).ConfigureAwait(false);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) => OnReceivedAsync(session, delivery);
            consumer.UnregisteredAsync += (_, _) =>
            {
                if (!session.Cancelling)
                {
                    session.End("the broker cancelled the consumer (the queue was deleted?)");
                }

                return Task.CompletedTask;
            };
            // Current before consuming: deliveries may arrive before basic.consume-ok is processed.
            Volatile.Write(ref _session, session);
            try
            {
                session.ConsumerTag = await channel.BasicConsumeAsync(_queue, false, RabbitMqTransport.ManagedConsumerTag("consumer"), false, false, null, consumer, cancellationToken).ConfigureAwait(false);
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

    private RabbitMqDestinationNotFoundException QueueNotFound(Exception error) => new(
        _queue,
        messageId: null,
        $"Cannot consume queue '{_queue}': it does not exist on RabbitMQ. " + (_transport.Options.ProvisionOnFirstUse
            ? "It was deleted after the transport declared it."
            : "Messaging:RabbitMq:ProvisionOnFirstUse is off, so the transport does not create it: create it with ITopology.EnsureAsync."),
        error);

    private async Task OnReceivedAsync(Session session, BasicDeliverEventArgs args)
    {
        if (Stopping || session.Cancelling || session.Ended.Task.IsCompleted)
        {
            // Arrived after the stop began (or on a session being replaced): never start it, hand it back.
            await SettleQuietlyAsync(session, args.DeliveryTag, ack: false).ConfigureAwait(false);
            return;
        }

        var envelope = AmqpEnvelope.FromDelivery(args.BasicProperties, args.Body);
        var message = new ReceivedMessage(envelope, _queue, DeliveryAttempts.NextAttempt(envelope), args.Redelivered)
        {
            Topic = _topic,
            Subscription = _subscription,
        };
        var delivery = new Delivery(this, session, args.DeliveryTag, message);
        if (_lanes is null || _lanes.TryStart(envelope.Key, delivery))
        {
            Enter();
            ThreadPool.UnsafeQueueUserWorkItem(delivery, preferLocal: false);
        }
    }

    private void Enter()
    {
        lock (_gate)
        {
            _running++;
        }
    }

    private async Task ProcessAsync(Delivery? delivery)
    {
        CurrentConsumer.Value = this;
        try
        {
            while (delivery is not null)
            {
                var result = await HandleAsync(delivery).ConfigureAwait(false);
                await SettleAsync(delivery, result).ConfigureAwait(false);
                delivery = _lanes?.Complete(delivery.Message.Envelope.Key, takeNext: !Stopping && !delivery.Session.Ended.Task.IsCompleted);
            }
        }
        finally
        {
            bool finish;
            lock (_gate)
            {
                _running--;
                for (var i = _runningWaiters.Count - 1; i >= 0; i--)
                {
                    if (_running <= _runningWaiters[i].AtMost)
                    {
                        _runningWaiters[i].Signal.TrySetResult();
                        _runningWaiters.RemoveAt(i);
                    }
                }

                finish = _running == 0 && Stopping;
            }

            if (finish)
            {
                // The last handler of a stopping consumer (possibly the one that called StopAsync) closes up, off
                // the client's dispatch callback so that closing the channel never waits on the callback itself.
                _ = Task.Run(FinishAsync, CancellationToken.None);
            }
        }
    }

    private async ValueTask<HandlingResult> HandleAsync(Delivery delivery)
    {
        if (_filter is not null && !_filter.Matches(delivery.Message.Envelope))
        {
            // A binding of an earlier filter, or a header the broker cannot match (x-...): not for this subscription.
            return HandlingResult.Acknowledged(delivery.Message.Attempt);
        }

        try
        {
            return await _pipeline.HandleAsync(delivery.Message, delivery.Session.Handlers.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The pipeline catches handler failures; reaching here is a bug. Release rather than lose the message.
            LogPipelineFailed(_logger, delivery.Message.Envelope.Id, _queue, ex);
            return new HandlingResult { Outcome = HandlingOutcome.Release };
        }
    }

    /// <summary>Carries out the outcome, then acknowledges; if carrying it out fails, releases the message instead.</summary>
    private async Task SettleAsync(Delivery delivery, HandlingResult result)
    {
        try
        {
            switch (result.Outcome)
            {
                case HandlingOutcome.RetryLater:
                    await _transport.PublishRetryAsync(_queue, result.Message!, result.RetryDelay, CancellationToken.None).ConfigureAwait(false);
                    break;
                case HandlingOutcome.DeadLetter:
                    await _transport.PublishDeadLetterAsync(_queue, result.Message!, CancellationToken.None).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogOutcomeFailed(_logger, result.Outcome, delivery.Message.Envelope.Id, _queue, ex);
            await SettleQuietlyAsync(delivery.Session, delivery.Tag, ack: false).ConfigureAwait(false);
            return;
        }

        await SettleQuietlyAsync(delivery.Session, delivery.Tag, ack: result.Outcome != HandlingOutcome.Release).ConfigureAwait(false);
    }

    private async Task SettleQuietlyAsync(Session session, ulong tag, bool ack)
    {
        try
        {
            if (ack)
            {
                await session.Channel.BasicAckAsync(tag, false, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await session.Channel.BasicNackAsync(tag, false, true, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (BrokerErrors.IsConnectionLoss(ex) || BrokerErrors.IsChannelRefusal(ex, out _))
        {
            // The channel is gone, and with it every unacknowledged delivery: the broker redelivers this one.
            LogSettleLost(_logger, tag, _queue, ex.Message);
        }
    }

    private static async Task CancelConsumeAsync(Session session)
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

    /// <summary>Ends a session: with ordering, cancels its running handlers (so the next holder of the lock never
    /// overlaps them); waits for them; drops the deliveries waiting in lanes (their channel is gone, the broker
    /// requeued them); closes the channel and releases the lock.</summary>
    private async Task EndSessionAsync(Session session, bool lost)
    {
        if (lost && Ordered)
        {
            await session.Handlers.CancelAsync().ConfigureAwait(false);
        }

        await WaitUntilRunningAtMostAsync(0).ConfigureAwait(false);
        var waiting = _lanes?.DrainWaiting() ?? [];
        if (!lost)
        {
            // Handed back in delivery order, after the running ones settled, so the queue keeps each key's order.
            foreach (var delivery in waiting.OrderBy(d => d.Tag))
            {
                await SettleQuietlyAsync(session, delivery.Tag, ack: false).ConfigureAwait(false);
            }
        }

        await PublishChannelPool.CloseQuietlyAsync(session.Channel).ConfigureAwait(false);
        if (session.Lock is not null)
        {
            await session.Lock.DisposeAsync().ConfigureAwait(false);
        }

        session.Handlers.Dispose();
    }

    private async Task FinishAsync()
    {
        if (Interlocked.Exchange(ref _finishing, 1) != 0)
        {
            await _finished.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            await _supervisor.ConfigureAwait(false);
            if (Interlocked.Exchange(ref _session, null) is { } session)
            {
                await EndSessionAsync(session, lost: false).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogStopFailed(_logger, _queue, ex);
        }
        finally
        {
            _finished.TrySetResult();
        }
    }

    private Task WaitUntilRunningAtMostAsync(int atMost)
    {
        lock (_gate)
        {
            if (_running <= atMost)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _runningWaiters.Add((atMost, signal));
            return signal.Task;
        }
    }

    private void CancelHandlers()
    {
        try
        {
            _cancelHandlers.Cancel();
        }
        catch (AggregateException ex)
        {
            // A cancellation callback registered by a handler threw; the handlers are cancelled all the same.
            LogCancellationCallbackFailed(_logger, _queue, ex);
        }
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Error, Message = "The handler pipeline failed for message {MessageId} from {Queue}; the message is released for redelivery")]
    private static partial void LogPipelineFailed(ILogger logger, string messageId, string queue, Exception exception);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Could not carry out {Outcome} for message {MessageId} from {Queue}; the message is released for redelivery")]
    private static partial void LogOutcomeFailed(ILogger logger, HandlingOutcome outcome, string messageId, string queue, Exception exception);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, Message = "Could not settle delivery {DeliveryTag} of {Queue} ({Problem}); the broker redelivers it")]
    private static partial void LogSettleLost(ILogger logger, ulong deliveryTag, string queue, string problem);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Consumer of {Queue} lost its session ({Reason}); resuming after the connection recovers")]
    private static partial void LogSessionLost(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Information, Message = "Consumer of {Queue} is consuming again")]
    private static partial void LogSessionStarted(ILogger logger, string queue);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "Consumer of {Queue} could not resume; trying again in {Seconds} s")]
    private static partial void LogSessionFailed(ILogger logger, string queue, double seconds, Exception exception);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Warning, Message = "Queue {Queue} is consumed in key order but has {Count} other consumer(s); the order holds only if every consumer of the queue asks for MessageOrdering.ByKey")]
    private static partial void LogOrderedBesideOthers(ILogger logger, string queue, uint count);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Error, Message = "Stopping the consumer of {Queue} failed")]
    private static partial void LogStopFailed(ILogger logger, string queue, Exception exception);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Warning, Message = "A cancellation callback of a handler of {Queue} threw while the consumer stopped")]
    private static partial void LogCancellationCallbackFailed(ILogger logger, string queue, Exception exception);

    /// <summary>One received message with the session whose channel must settle it; its own thread-pool work item,
    /// so starting its handler costs no allocation beyond the delivery.</summary>
    private sealed class Delivery(RabbitMqQueueConsumer consumer, Session session, ulong tag, ReceivedMessage message) : IThreadPoolWorkItem
    {
        public Session Session { get; } = session;

        public ulong Tag { get; } = tag;

        public ReceivedMessage Message { get; } = message;

        void IThreadPoolWorkItem.Execute() => _ = consumer.ProcessAsync(this);
    }

    /// <summary>A channel consuming the queue, and (with ordering) the lock that allows it.</summary>
    private sealed class Session(IChannel channel, ActiveConsumerLock? held, CancellationTokenSource handlers)
    {
        public IChannel Channel { get; } = channel;

        public ActiveConsumerLock? Lock { get; } = held;

        public CancellationTokenSource Handlers { get; } = handlers;

        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? ConsumerTag { get; set; }

        public string? EndReason { get; private set; }

        public volatile bool Cancelling;

        public void End(string reason)
        {
            EndReason ??= reason;
            Ended.TrySetResult();
        }
    }
}

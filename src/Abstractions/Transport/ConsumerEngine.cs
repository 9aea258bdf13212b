using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Adapters.Transport;

/// <summary>
/// The one consumer every adapter runs: it takes deliveries from the adapter's <see cref="IDeliveryReceiver{TDelivery}"/>,
/// runs each through the <see cref="HandlerPipeline"/> under the in-flight limit and the ordering lanes, has the
/// receiver carry out the outcome in the broker's terms, and owns the consumer's life: start, graceful stop, dispose,
/// and the task that reports its end.
/// </summary>
/// <typeparam name="TDelivery">The adapter's delivery.</typeparam>
/// <remarks>
/// <para>Every delivery is settled exactly once: acknowledged, retried later, dead-lettered or released. A failure
/// while carrying out a retry or a dead letter releases the delivery instead, so nothing is acknowledged that was not
/// stored elsewhere. Nothing a receiver or pipeline throws escapes a worker, so a lane is always passed on.</para>
/// <para>Stopping takes no new deliveries, lets the running handlers finish (or cancels them when the stop's token
/// is cancelled, or on dispose), releases the deliveries still waiting in lanes in the order they were received, and
/// then closes the receiver. A stop called from inside one of this consumer's handlers does not wait for that
/// handler.</para>
/// </remarks>
public sealed partial class ConsumerEngine<TDelivery> : IConsumer, IDeliverySink<TDelivery>, IDeliveryWorker
    where TDelivery : InboundDelivery
{
    // Lets StopAsync/DisposeAsync called from inside one of this consumer's handlers skip waiting for that handler.
    private static readonly AsyncLocal<object?> CurrentConsumer = new();

    private readonly IDeliveryReceiver<TDelivery> _receiver;
    private readonly IPullingReceiver<TDelivery>? _puller;
    private readonly ILeasingReceiver<TDelivery>? _leasing;
    private readonly IHandoffReceiver<TDelivery>? _handoff;
    private readonly HandlerPipeline _pipeline;
    private readonly ConsumerTelemetry _telemetry;
    private readonly string _system;
    private readonly ConsumerEngineSettings _settings;
    private readonly KeyLanes<TDelivery>? _lanes;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _cancelHandlers = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _receivingStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly List<(int AtMost, TaskCompletionSource Signal)> _workerWaiters = [];
    private readonly List<DeliveryScope> _scopes = [];
    private TaskCompletionSource? _creditWaiter;
    private Task _pulling = Task.CompletedTask;
    private Exception? _failure;
    private long _received;
    private int _outstanding;
    private int _workers;
    private int _stopRequested;
    private int _finishing;

    /// <summary>Creates the engine; <see cref="StartAsync"/> starts it.</summary>
    /// <param name="receiver">The adapter's receiver for this consumer.</param>
    /// <param name="handler">The application's handler.</param>
    /// <param name="retry">The retry policy.</param>
    /// <param name="settings">How the consumer runs.</param>
    /// <param name="timeProvider">The clock for delays and dead-letter times; <see langword="null"/> for the system clock.</param>
    /// <param name="loggerFactory">Where the consumer logs; <see langword="null"/> for nowhere.</param>
    /// <exception cref="CapabilityNotSupportedException">The settings ask for what the transport does not offer.</exception>
    public ConsumerEngine(IDeliveryReceiver<TDelivery> receiver, MessageHandler handler, RetryPolicy retry, ConsumerEngineSettings settings, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(retry);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        _receiver = receiver;
        _puller = receiver as IPullingReceiver<TDelivery>;
        _leasing = receiver as ILeasingReceiver<TDelivery>;
        _handoff = receiver as IHandoffReceiver<TDelivery>;
        _settings = settings;
        _lanes = settings.Lanes == DeliveryLanes.None ? null : new KeyLanes<TDelivery>();
        _logger = loggerFactory.CreateLogger("Messaging.Adapters.Consuming");
        var holdDelayedRetries = settings.HoldsDelayedRetries || CapabilityGuard.HoldsDelayedRetries(settings.Capabilities, retry);
        _system = settings.Capabilities.MessagingSystem ?? settings.Transport.ToLowerInvariant();
        _telemetry = new ConsumerTelemetry(_system);
        _pipeline = new HandlerPipeline(_telemetry.Instrument(handler), retry, holdDelayedRetries, timeProvider, loggerFactory.CreateLogger<HandlerPipeline>());
    }

    /// <inheritdoc />
    public Task Completion => _completion.Task;

    /// <inheritdoc />
    public bool IsStopping => Volatile.Read(ref _stopRequested) != 0;

    /// <inheritdoc />
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Starts the receiver (and, for a pulling receiver, the receive loop).</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes once the consumer receives.</returns>
    /// <exception cref="Exception">Whatever the receiver's start threw; the consumer is then stopped.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _receiver.StartAsync(this, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (_puller is not null)
        {
            _pulling = Task.Run(PullAsync, CancellationToken.None);
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        var own = CurrentConsumer.Value == this ? 1 : 0;
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            try
            {
                await _receiver.StopReceivingAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogStopFailed(_logger, _settings.Source, ex);
            }
            finally
            {
                _receivingStopped.TrySetResult();
            }
        }

        using var registration = cancellationToken.Register(static state => ((ConsumerEngine<TDelivery>)state!).CancelHandlers(), this);
        await WaitUntilWorkersAtMostAsync(own).ConfigureAwait(false);
        if (own == 0)
        {
            await FinishAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => new(StopAsync(new CancellationToken(canceled: true)));

    /// <inheritdoc />
    public DeliveryScope CreateScope(string name)
    {
        var scope = new DeliveryScope(name, _cancelHandlers.Token);
        lock (_gate)
        {
            _scopes.Add(scope);
        }

        return scope;
    }

    /// <inheritdoc />
    public void Dispatch(TDelivery delivery, bool creditReserved = false)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        delivery.Sequence = Interlocked.Increment(ref _received);
        if (!creditReserved)
        {
            Interlocked.Increment(ref _outstanding);
        }

        delivery.Scope.Enter();
        if (IsStopping || delivery.Scope.IsEnded)
        {
            // Arrived after the stop began (or on a session being replaced): never started, handed back.
            StartWorker(delivery, releaseOnly: true);
            return;
        }

        if (_lanes is null || _lanes.TryStart(LaneOf(delivery), delivery))
        {
            StartWorker(delivery, releaseOnly: false);
        }
    }

    /// <inheritdoc />
    public bool TryReserveCredit()
    {
        while (true)
        {
            var outstanding = Volatile.Read(ref _outstanding);
            if (outstanding >= _settings.MaxInFlight || IsStopping)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _outstanding, outstanding + 1, outstanding) == outstanding)
            {
                return true;
            }
        }
    }

    /// <inheritdoc />
    public void ReturnCredit() => CreditFreed();

    /// <inheritdoc />
    public async Task<IReadOnlyList<TDelivery>> EndScopeAsync(DeliveryScope scope, string reason, bool cancelRunning)
    {
        ArgumentNullException.ThrowIfNull(scope);
        scope.End(reason);
        if (cancelRunning)
        {
            await scope.CancelHandlersAsync().ConfigureAwait(false);
        }

        var waiting = TakeWaiting(d => d.Scope == scope);
        await scope.WhenSettled().ConfigureAwait(false);
        lock (_gate)
        {
            _scopes.Remove(scope);
        }

        scope.Dispose();
        return waiting;
    }

    /// <inheritdoc />
    public void Fail(Exception reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (Interlocked.CompareExchange(ref _failure, reason, null) is null)
        {
            LogConsumerFailed(_logger, _settings.Source, reason);
            _ = Task.Run(() => StopAsync(CancellationToken.None), CancellationToken.None);
        }
    }

    void IDeliveryWorker.Run(InboundDelivery delivery) => _ = RunAsync((TDelivery)delivery);

    private object? LaneOf(TDelivery delivery) => _settings.Lanes switch
    {
        DeliveryLanes.ByKey => delivery.Message.Envelope.Key,
        DeliveryLanes.ByScope => delivery.Scope,
        DeliveryLanes.All => this,
        _ => null,
    };

    private void StartWorker(TDelivery delivery, bool releaseOnly)
    {
        Interlocked.Increment(ref _workers);
        delivery.Worker = this;
        delivery.ReleaseOnly = releaseOnly;
        ThreadPool.UnsafeQueueUserWorkItem(delivery, preferLocal: false);
    }

    private async Task RunAsync(TDelivery? delivery)
    {
        CurrentConsumer.Value = this;
        try
        {
            while (delivery is not null)
            {
                if (delivery.ReleaseOnly)
                {
                    await SettleAsync(delivery, new HandlingResult { Outcome = HandlingOutcome.Release, Attempts = delivery.Message.Attempt - 1 }).ConfigureAwait(false);
                    delivery.Scope.Exit();
                    CreditFreed();
                    return;
                }

                var result = await HandleAsync(delivery).ConfigureAwait(false);
                await SettleAsync(delivery, result).ConfigureAwait(false);
                delivery.Scope.Exit();
                var canContinue = !IsStopping && !delivery.Scope.IsEnded;
                var next = _lanes?.Complete(LaneOf(delivery), takeNext: canContinue);
                if (next is null && _handoff is not null && canContinue && _handoff.TryTakeNext() is { } handedOff)
                {
                    // The worker keeps its credit for the next message: no hand-back and re-reserve in between.
                    handedOff.Sequence = Interlocked.Increment(ref _received);
                    handedOff.Scope.Enter();
                    next = handedOff;
                }
                else
                {
                    CreditFreed();
                }

                delivery = next;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // HandleAsync and SettleAsync catch everything they expect; reaching here is a bug. Log it loudly: the
            // worker's credit is given back below, so the consumer keeps going.
            LogWorkerFailed(_logger, delivery?.Message.Envelope.Id ?? "", _settings.Source, ex);
        }
        finally
        {
            WorkerExited();
        }
    }

    private async ValueTask<HandlingResult> HandleAsync(TDelivery delivery)
    {
        var message = delivery.Message;
        if (_settings.Filter is { } filter && !filter.Matches(message.Envelope))
        {
            return HandlingResult.Acknowledged(message.Attempt);
        }

        message.Delivery = delivery;
        var counted = _telemetry.BeginHandling(message);
        var result = new HandlingResult { Outcome = HandlingOutcome.Release, Attempts = message.Attempt - 1 };
        CancellationTokenSource? lease = null;
        if (_leasing is not null)
        {
            lease = new CancellationTokenSource();
            _ = RenewLeaseAsync(delivery, lease.Token);
        }

        try
        {
            result = await _pipeline.HandleAsync(message, delivery.Scope.HandlerCancellation).ConfigureAwait(false);
            return result;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The pipeline catches handler failures; reaching here is a bug. Release rather than lose the message.
            LogPipelineFailed(_logger, message.Envelope.Id, _settings.Source, ex);
            return result;
        }
        finally
        {
            _telemetry.EndHandling(message, counted, result);
            if (lease is not null)
            {
                await lease.CancelAsync().ConfigureAwait(false);
                lease.Dispose();
            }
        }
    }

    /// <summary>Carries out the outcome through the receiver, inside its settle span; a retry or dead letter that
    /// cannot be stored releases the delivery instead.</summary>
    private async ValueTask SettleAsync(TDelivery delivery, HandlingResult result)
    {
        var outcome = result.Outcome;
        var span = SettleSpan.Start(_system, delivery, outcome);
        Exception? failure = null;
        try
        {
            switch (outcome)
            {
                case HandlingOutcome.Acknowledge:
                    await _receiver.AcknowledgeAsync(delivery).ConfigureAwait(false);
                    break;
                case HandlingOutcome.Release:
                    await _receiver.ReleaseAsync(delivery, result.Attempts).ConfigureAwait(false);
                    break;
                case HandlingOutcome.RetryLater:
                    await _receiver.RetryLaterAsync(delivery, result.Message!, result.RetryDelay).ConfigureAwait(false);
                    break;
                default:
                    await _receiver.DeadLetterAsync(delivery, result.Message!).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            failure = ex;
        }

        SettleSpan.End(span, failure);
        if (failure is null)
        {
            if (outcome == HandlingOutcome.DeadLetter)
            {
                _telemetry.DeadLettered(delivery.Message);
            }

            return;
        }

        if (outcome is HandlingOutcome.Acknowledge or HandlingOutcome.Release)
        {
            LogSettleFailed(_logger, outcome, delivery.Message.Envelope.Id, _settings.Source, failure);
            return;
        }

        LogOutcomeFailed(_logger, outcome, delivery.Message.Envelope.Id, _settings.Source, failure);
        await SettleAsync(delivery, new HandlingResult { Outcome = HandlingOutcome.Release, Attempts = result.Attempts }).ConfigureAwait(false);
    }

    private async Task RenewLeaseAsync(TDelivery delivery, CancellationToken handled)
    {
        try
        {
            using var timer = new PeriodicTimer(_leasing!.LeaseRenewalInterval);
            while (await timer.WaitForNextTickAsync(handled).ConfigureAwait(false))
            {
                await _leasing.RenewLeaseAsync(delivery, handled).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (handled.IsCancellationRequested)
        {
            // The handler finished.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The broker takes the message back when the lease runs out: a duplicate, never a loss.
            LogLeaseRenewalFailed(_logger, delivery.Message.Envelope.Id, _settings.Source, ex);
        }
    }

    /// <summary>The receive loop of a pulling receiver: asks for at most the free credit, dispatches what comes.</summary>
    // How long a pull waits for a receiver's preferred batch of credit while handlers run: a few handler completions
    // on a busy consumer, and never long enough to matter when the consumer is idle (it then has all its credit).
    private static readonly TimeSpan BatchCreditWait = TimeSpan.FromMilliseconds(10);

    private async Task PullAsync()
    {
        // The loop serves messages of many traces: whatever activity started the consumer is none of their causes.
        Activity.Current = null;
        var batch = new List<TDelivery>();
        while (!IsStopping)
        {
            try
            {
                var free = await WaitForCreditAsync(Math.Min(_puller!.PreferredBatch, _settings.MaxInFlight)).ConfigureAwait(false);
                if (free == 0)
                {
                    return;
                }

                batch.Clear();
                var started = ReceiveSpan.Begin();
                await _puller!.ReceiveAsync(free, batch, _stopping.Token).ConfigureAwait(false);
                if (started is { } receiveStarted)
                {
                    ReceiveSpan.Record(_system, _puller.ReceiveOperationName, receiveStarted, batch);
                }

                foreach (var delivery in batch)
                {
                    Dispatch(delivery);
                }
            }
            catch (OperationCanceledException) when (IsStopping)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Fail(ex);
                return;
            }
        }
    }

    /// <summary>Waits until some in-flight credit is free; 0 when the consumer stops first.</summary>
    /// <summary>Waits until credit is free: <paramref name="wanted"/> of it, or any after <see cref="BatchCreditWait"/>
    /// while handlers run; 0 when the consumer stops.</summary>
    private async Task<int> WaitForCreditAsync(int wanted)
    {
        long? settleBy = null;
        while (true)
        {
            var free = _settings.MaxInFlight - Volatile.Read(ref _outstanding);
            if (free >= wanted || (free > 0 && settleBy is { } due && Environment.TickCount64 >= due))
            {
                return free;
            }

            if (free > 0)
            {
                settleBy ??= Environment.TickCount64 + (long)BatchCreditWait.TotalMilliseconds;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _creditWaiter, signal);
            var now = _settings.MaxInFlight - Interlocked.CompareExchange(ref _outstanding, 0, 0);
            if (now >= wanted || (now > 0 && settleBy is null))
            {
                continue;
            }

            try
            {
                if (settleBy is { } deadline)
                {
                    await signal.Task.WaitAsync(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64)), _stopping.Token).ConfigureAwait(false);
                }
                else
                {
                    await signal.Task.WaitAsync(_stopping.Token).ConfigureAwait(false);
                }
            }
            catch (TimeoutException)
            {
                // Settled for the credit there is.
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
        }
    }

    private void CreditFreed()
    {
        Interlocked.Decrement(ref _outstanding);
        if (Volatile.Read(ref _creditWaiter) is not null)
        {
            Interlocked.Exchange(ref _creditWaiter, null)?.TrySetResult();
        }

        _handoff?.CreditReturned();
    }

    private List<TDelivery> TakeWaiting(Func<TDelivery, bool> match)
    {
        var waiting = _lanes?.TakeWaiting(match) ?? [];
        waiting.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
        foreach (var delivery in waiting)
        {
            delivery.Scope.Exit();
            CreditFreed();
        }

        return waiting;
    }

    private void WorkerExited()
    {
        var remaining = Interlocked.Decrement(ref _workers);
        if (!IsStopping)
        {
            return;
        }

        lock (_gate)
        {
            for (var i = _workerWaiters.Count - 1; i >= 0; i--)
            {
                if (remaining <= _workerWaiters[i].AtMost)
                {
                    _workerWaiters[i].Signal.TrySetResult();
                    _workerWaiters.RemoveAt(i);
                }
            }
        }

        if (remaining == 0)
        {
            // The last worker of a stopping consumer (possibly the one whose handler called StopAsync) closes up,
            // off the broker's callback so that closing never waits on the callback itself.
            _ = Task.Run(FinishAsync, CancellationToken.None);
        }
    }

    private Task WaitUntilWorkersAtMostAsync(int atMost)
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _workers) <= atMost)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _workerWaiters.Add((atMost, signal));
            return signal.Task;
        }
    }

    /// <summary>Once no handler runs: releases what waits in lanes, in the order received, and closes the receiver.</summary>
    private async Task FinishAsync()
    {
        if (Interlocked.Exchange(ref _finishing, 1) != 0)
        {
            await _completion.Task.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            return;
        }

        try
        {
            // The broker has stopped delivering before anything is handed back or closed: a delivery still on its way
            // then arrives before the close (and is handed back with the rest) instead of being lost in it.
            await _receivingStopped.Task.ConfigureAwait(false);
            await _pulling.ConfigureAwait(false);
            foreach (var delivery in TakeWaiting(static _ => true))
            {
                if (!delivery.Scope.IsEnded)
                {
                    await SettleAsync(delivery, new HandlingResult { Outcome = HandlingOutcome.Release, Attempts = delivery.Message.Attempt - 1 }).ConfigureAwait(false);
                }
            }

            await _receiver.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogStopFailed(_logger, _settings.Source, ex);
        }
        finally
        {
            DeliveryScope[] scopes;
            lock (_gate)
            {
                scopes = [.. _scopes];
                _scopes.Clear();
            }

            foreach (var scope in scopes)
            {
                scope.Dispose();
            }

            if (Volatile.Read(ref _failure) is { } failure)
            {
                _completion.TrySetException(failure);
            }
            else
            {
                _completion.TrySetResult();
            }
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
            LogCancellationCallbackFailed(_logger, _settings.Source, ex);
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "The handler pipeline failed for message {MessageId} from {Source}; the message is released for redelivery")]
    private static partial void LogPipelineFailed(ILogger logger, string messageId, string source, Exception exception);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Could not carry out {Outcome} for message {MessageId} from {Source}; the message is released for redelivery")]
    private static partial void LogOutcomeFailed(ILogger logger, HandlingOutcome outcome, string messageId, string source, Exception exception);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Could not settle ({Outcome}) message {MessageId} from {Source}; the broker redelivers it")]
    private static partial void LogSettleFailed(ILogger logger, HandlingOutcome outcome, string messageId, string source, Exception exception);

    [LoggerMessage(EventId = 103, Level = LogLevel.Error, Message = "A worker of the consumer of {Source} failed on message {MessageId}")]
    private static partial void LogWorkerFailed(ILogger logger, string messageId, string source, Exception exception);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "A cancellation callback of a handler of {Source} threw while the consumer stopped")]
    private static partial void LogCancellationCallbackFailed(ILogger logger, string source, Exception exception);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "Stopping the consumer of {Source} failed")]
    private static partial void LogStopFailed(ILogger logger, string source, Exception exception);

    [LoggerMessage(EventId = 106, Level = LogLevel.Error, Message = "The consumer of {Source} cannot go on and stops")]
    private static partial void LogConsumerFailed(ILogger logger, string source, Exception exception);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Could not renew the lease of message {MessageId} from {Source}; the broker may deliver it again")]
    private static partial void LogLeaseRenewalFailed(ILogger logger, string messageId, string source, Exception exception);
}

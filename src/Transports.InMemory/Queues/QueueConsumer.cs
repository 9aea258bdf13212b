using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.InMemory.Queues;

/// <summary>
/// One consumer of a queue (or of a subscription's queue): up to <see cref="MaxInFlight"/> workers, each running
/// the handler pipeline on one delivery at a time.
/// </summary>
internal sealed partial class QueueConsumer : IConsumer
{
    // Lets StopAsync/DisposeAsync called from inside one of this consumer's handlers skip waiting for that handler.
    private static readonly AsyncLocal<QueueConsumer?> CurrentConsumer = new();

    private readonly QueueState _queue;
    private readonly InMemoryTransport _transport;
    private readonly HandlerPipeline _pipeline;
    private readonly CancellationTokenSource _handlerCancellation = new();
    private TaskCompletionSource _workerExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _topic;
    private readonly string? _subscription;

    public QueueConsumer(QueueState queue, InMemoryTransport transport, HandlerPipeline pipeline, ConsumerOptions options, string? topic, string? subscription)
    {
        _queue = queue;
        _transport = transport;
        _pipeline = pipeline;
        MaxInFlight = options.MaxInFlight;
        Ordering = options.Ordering;
        _topic = topic;
        _subscription = subscription;
    }

    public int MaxInFlight { get; }

    public MessageOrdering Ordering { get; }

    /// <summary>Workers running (the credit in use); changed only with interlocked operations.</summary>
    private int _active;

    /// <summary>Set once, under the queue's lock, when the consumer stops taking messages.</summary>
    /// <remarks>A public field because it is volatile.</remarks>
    public volatile bool Stopping;

    /// <summary>Takes one unit of credit when fewer than <see cref="MaxInFlight"/> workers run.</summary>
    public bool TryReserveCredit()
    {
        while (true)
        {
            var active = Volatile.Read(ref _active);
            if (active >= MaxInFlight)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _active, active + 1, active) == active)
            {
                return true;
            }
        }
    }

    /// <summary>Gives back one unit of credit; wakes <see cref="StopAsync"/> callers when the consumer is stopping.</summary>
    public void ReturnCredit()
    {
        Interlocked.Decrement(ref _active);
        if (Stopping)
        {
            Interlocked.Exchange(ref _workerExited, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    public void Start(Delivery delivery)
    {
        delivery.Worker = this;
        ThreadPool.UnsafeQueueUserWorkItem(delivery, preferLocal: false);
    }

    public void RunWorker(Delivery first) => _ = RunAsync(first);

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_queue.RemoveConsumer(this))
        {
            _transport.Forget(this);
        }

        var ownWorker = CurrentConsumer.Value == this ? 1 : 0;
        using var registration = cancellationToken.Register(static state => ((QueueConsumer)state!).CancelHandlers(), this);
        // Every credit given back after Stopping was set completes the current exit signal, waking every caller at
        // once (several may stop or dispose concurrently). Reading the signal before the count means a worker that
        // ends between the two reads is never missed.
        while (true)
        {
            var exited = Volatile.Read(ref _workerExited);
            if (Volatile.Read(ref _active) <= ownWorker)
            {
                break;
            }

            await exited.Task.ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(new CancellationToken(canceled: true)));

    private void CancelHandlers()
    {
        try
        {
            _handlerCancellation.Cancel();
        }
        catch (AggregateException ex)
        {
            // A cancellation callback registered by a handler threw; the handlers are cancelled all the same.
            LogCancellationCallbackFailed(_transport.Logger, _queue.Name, ex);
        }
    }

    private async Task RunAsync(Delivery? delivery)
    {
        CurrentConsumer.Value = this;
        try
        {
            while (delivery is not null)
            {
                var received = new ReceivedMessage(delivery.Envelope, _queue.Name, delivery.Attempt, delivery.Redelivered)
                {
                    Topic = _topic,
                    Subscription = _subscription,
                };
                HandlingResult result;
                try
                {
                    result = await _pipeline.HandleAsync(received, _handlerCancellation.Token).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // The pipeline catches handler failures; reaching here is a bug. Release rather than lose the message.
                    LogPipelineFailed(_transport.Logger, delivery.Envelope.Id, _queue.Name, ex);
                    result = new HandlingResult { Outcome = HandlingOutcome.Release };
                }

                switch (result.Outcome)
                {
                    case HandlingOutcome.RetryLater:
                        _transport.ScheduleRetry(_queue, result.Message!, result.RetryDelay);
                        break;
                    case HandlingOutcome.DeadLetter:
                        _transport.DeadLetter(_queue.Name, result.Message!);
                        break;
                }

                delivery = _queue.Complete(this, delivery, released: result.Outcome == HandlingOutcome.Release);
            }
        }
        catch (Exception ex)
        {
            // Complete never throws; if it did, the worker's credit would leak, so log loudly.
            LogPipelineFailed(_transport.Logger, delivery?.Envelope.Id ?? "", _queue.Name, ex);
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "The handler pipeline failed for message {MessageId} from {Queue}; the message is released for redelivery")]
    private static partial void LogPipelineFailed(ILogger logger, string messageId, string queue, Exception exception);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "A cancellation callback of a handler of {Queue} threw while the consumer stopped")]
    private static partial void LogCancellationCallbackFailed(ILogger logger, string queue, Exception exception);
}

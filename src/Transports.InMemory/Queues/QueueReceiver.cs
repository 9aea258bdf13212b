using Messaging.Adapters.Transport;

namespace Messaging.Adapters.InMemory.Queues;

/// <summary>
/// One consumer of an in-memory queue, seen from the broker: it competes for the queue's messages with the credit the
/// engine gives it, and carries out the engine's outcomes on the queue.
/// </summary>
internal sealed class QueueReceiver(QueueState queue, InMemoryTransport transport, MessageOrdering ordering, string? topic, string? subscription)
    : IHandoffReceiver<Delivery>
{
    private IDeliverySink<Delivery> _sink = null!;

    public string Source => queue.Name;

    public string? Topic => topic;

    public string? Subscription => subscription;

    public MessageOrdering Ordering => ordering;

    public DeliveryScope Scope { get; private set; } = null!;

    /// <summary>Set once, under the queue's lock, when the consumer stops taking messages.</summary>
    /// <remarks>A public field because it is volatile.</remarks>
    public volatile bool Stopping;

    public Task StartAsync(IDeliverySink<Delivery> sink, CancellationToken cancellationToken)
    {
        _sink = sink;
        Scope = sink.CreateScope(queue.Name);
        queue.AddConsumer(this);
        return Task.CompletedTask;
    }

    public bool TryReserveCredit() => !Stopping && _sink.TryReserveCredit();

    public void ReturnCredit() => _sink.ReturnCredit();

    /// <summary>Starts a delivery the queue took with this consumer's credit.</summary>
    public void Start(Delivery delivery)
    {
        delivery.AssignTo(this);
        _sink.Dispatch(delivery, creditReserved: true);
    }

    public Delivery? TryTakeNext()
    {
        if (Stopping || queue.TakeNext() is not { } next)
        {
            return null;
        }

        next.AssignTo(this);
        return next;
    }

    public void CreditReturned() => queue.Dispatch();

    public Task StopReceivingAsync()
    {
        queue.RemoveConsumer(this);
        return Task.CompletedTask;
    }

    public ValueTask AcknowledgeAsync(Delivery delivery)
    {
        queue.Settle(delivery, released: false);
        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseAsync(Delivery delivery, int attemptsMade)
    {
        delivery.AttemptsMade = Math.Max(delivery.AttemptsMade, attemptsMade);
        queue.Settle(delivery, released: true);
        return ValueTask.CompletedTask;
    }

    public ValueTask RetryLaterAsync(Delivery delivery, Envelope retry, TimeSpan delay)
    {
        transport.ScheduleRetry(queue, retry, delay);
        return AcknowledgeAsync(delivery);
    }

    public ValueTask DeadLetterAsync(Delivery delivery, Envelope deadLetter)
    {
        transport.DeadLetter(queue.Name, deadLetter);
        return AcknowledgeAsync(delivery);
    }

    public Task CloseAsync() => Task.CompletedTask;
}

namespace Messaging.Adapters.InMemory.Queues;

/// <summary>
/// One message in one queue, from enqueue until it is acknowledged. It is its own thread-pool work item, so
/// starting a handler costs no allocation beyond the delivery itself.
/// </summary>
internal sealed class Delivery(Envelope envelope, bool redelivered = false) : IThreadPoolWorkItem
{
    public Envelope Envelope { get; } = envelope;

    public int Attempt { get; } = DeliveryAttempts.NextAttempt(envelope);

    public bool Redelivered { get; set; } = redelivered;

    /// <summary>With ordering by key: this delivery holds its key's turn (it is the next of its key to run).</summary>
    public bool HoldsKey { get; set; }

    /// <summary>The consumer whose worker runs this delivery; set just before it is queued to the thread pool.</summary>
    public QueueConsumer? Worker { get; set; }

    void IThreadPoolWorkItem.Execute() => Worker!.RunWorker(this);
}

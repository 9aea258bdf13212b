using Messaging.Adapters.Transport;

namespace Messaging.Adapters.InMemory.Queues;

/// <summary>
/// One message in one queue, from enqueue until it is acknowledged. The same object is handed to each consumer that
/// receives it (as the engine's delivery), so a message costs one allocation however often it is redelivered.
/// </summary>
internal sealed class Delivery(Envelope envelope) : InboundDelivery
{
    public Envelope Envelope { get; } = envelope;

    /// <summary>Handling attempts made before this delivery: those recorded on the envelope, then those reported
    /// when it was released (the in-memory broker's own delivery count).</summary>
    public int AttemptsMade { get; set; } = DeliveryAttempts.NextAttempt(envelope) - 1;

    /// <summary>How many times the broker handed it to a consumer.</summary>
    public int Deliveries { get; set; }

    /// <summary>With ordering by key: this delivery holds its key's turn (it is the next of its key to run).</summary>
    public bool HoldsKey { get; set; }

    /// <summary>Hands the delivery to a consumer.</summary>
    public void AssignTo(QueueReceiver receiver)
    {
        Deliveries++;
        var attempt = AttemptsMade >= int.MaxValue - 1 ? int.MaxValue : AttemptsMade + 1;
        Assign(
            new ReceivedMessage(Envelope, receiver.Source, attempt, redelivered: Deliveries > 1)
            {
                Topic = receiver.Topic,
                Subscription = receiver.Subscription,
                DeliveryCount = Deliveries,
            },
            receiver.Scope);
    }
}

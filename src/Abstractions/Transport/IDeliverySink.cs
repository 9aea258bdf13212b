namespace Messaging.Adapters.Transport;

/// <summary>
/// The engine's side for adapters: where a receiver hands over deliveries and manages its broker sessions.
/// </summary>
/// <typeparam name="TDelivery">The adapter's delivery.</typeparam>
public interface IDeliverySink<TDelivery>
    where TDelivery : InboundDelivery
{
    /// <summary>Whether the consumer is stopping: a receiver opens no new session.</summary>
    bool IsStopping { get; }

    /// <summary>Cancelled when the consumer starts stopping; for a receiver's own waits (a standby lock, a reconnect delay).</summary>
    CancellationToken Stopping { get; }

    /// <summary>Starts a scope for the deliveries of one broker session.</summary>
    /// <param name="name">What the session is, for logs.</param>
    /// <returns>The scope.</returns>
    DeliveryScope CreateScope(string name);

    /// <summary>Hands a delivery to the engine. It runs at once, waits in its ordering lane, or, when the consumer is
    /// stopping or its scope ended, is released at once.</summary>
    /// <param name="delivery">The delivery, in the broker's order.</param>
    /// <param name="creditReserved">Whether <see cref="TryReserveCredit"/> was called for it.</param>
    void Dispatch(TDelivery delivery, bool creditReserved = false);

    /// <summary>Takes one unit of in-flight credit when fewer than the in-flight limit are outstanding; for brokers
    /// that choose among competing consumers themselves.</summary>
    /// <returns>Whether credit was taken; give it back with <see cref="ReturnCredit"/> when it goes unused.</returns>
    bool TryReserveCredit();

    /// <summary>Gives back credit reserved with <see cref="TryReserveCredit"/> but not used for a dispatch.</summary>
    void ReturnCredit();

    /// <summary>Ends a scope and waits until none of its deliveries is outstanding: deliveries waiting in lanes are
    /// taken out and returned (not settled), and running handlers finish (or are cancelled first).</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="reason">Why, for logs and <see cref="DeliveryScope.EndReason"/>.</param>
    /// <param name="cancelRunning">Whether to cancel the handlers still running, so that no other consumer can run
    /// the same key while they finish (ordering), or to let them finish.</param>
    /// <returns>The deliveries that waited in lanes, in the order they were received; the receiver releases them
    /// (or drops them when the broker session is gone and the broker redelivers them anyway).</returns>
    Task<IReadOnlyList<TDelivery>> EndScopeAsync(DeliveryScope scope, string reason, bool cancelRunning);

    /// <summary>Reports that the receiver cannot go on (its queue was deleted, its reader failed): the consumer
    /// stops, and <see cref="IConsumer.Completion"/> faults with <paramref name="reason"/>.</summary>
    /// <param name="reason">Why.</param>
    void Fail(Exception reason);
}

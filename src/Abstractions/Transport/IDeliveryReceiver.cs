namespace Messaging.Adapters.Transport;

/// <summary>
/// What an adapter writes for one consumer: how its broker hands over deliveries and how each outcome of the
/// handler pipeline is carried out in the broker's own terms. The <see cref="ConsumerEngine{TDelivery}"/> owns
/// everything else: concurrency, ordering lanes, the retry and dead-letter decision, graceful stop and logging.
/// </summary>
/// <typeparam name="TDelivery">The adapter's delivery.</typeparam>
/// <remarks>
/// <para>A push broker (AMQP, the in-memory broker) calls <see cref="IDeliverySink{TDelivery}.Dispatch"/> from its
/// delivery callback; a pull broker also implements <see cref="IPullingReceiver{TDelivery}"/> and the engine runs
/// the receive loop, asking for no more than the free in-flight credit.</para>
/// <para>Settlement methods are called once per delivery, from the worker that ran it. They should handle the loss
/// of the broker session themselves (a settle on a closed channel is a no-op: the broker redelivers); an exception
/// they throw is logged and the delivery counts as settled.</para>
/// </remarks>
public interface IDeliveryReceiver<TDelivery>
    where TDelivery : InboundDelivery
{
    /// <summary>Starts receiving. A push receiver registers with its broker here and hands deliveries to
    /// <paramref name="sink"/>; an error that means the consumer cannot run (the queue does not exist) is thrown.</summary>
    /// <param name="sink">The engine's side for adapters.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes once the consumer receives (or waits as a standby).</returns>
    Task StartAsync(IDeliverySink<TDelivery> sink, CancellationToken cancellationToken);

    /// <summary>Stops the broker from handing over more deliveries (AMQP <c>basic.cancel</c>; leaving a group).
    /// Deliveries that still arrive are released by the engine.</summary>
    /// <returns>A task that completes when the request was made.</returns>
    Task StopReceivingAsync();

    /// <summary>The handler succeeded (or the message was filtered out): the broker forgets the message (AMQP ack,
    /// SQS delete, Kafka offset marked finished).</summary>
    /// <param name="delivery">The delivery.</param>
    /// <returns>A task that completes when the acknowledgement was made or queued.</returns>
    ValueTask AcknowledgeAsync(TDelivery delivery);

    /// <summary>The handler did not finish (the consumer is stopping): the broker redelivers the message later to
    /// some consumer (AMQP nack with requeue, SQS visibility 0, Kafka offset not committed).</summary>
    /// <param name="delivery">The delivery.</param>
    /// <param name="attemptsMade">Handling attempts made so far, held retries included; a broker that can keep it
    /// with the message should, so the next delivery continues the count.</param>
    /// <returns>A task that completes when the release was made.</returns>
    ValueTask ReleaseAsync(TDelivery delivery, int attemptsMade);

    /// <summary>Deliver the message again after <paramref name="delay"/>, the way this broker waits (a delay queue,
    /// the visibility timeout, a retry topic), then settle this delivery.</summary>
    /// <param name="delivery">The delivery.</param>
    /// <param name="retry">The envelope to deliver again; it records the attempts made (<see cref="EnvelopeHeaders.Attempt"/>).</param>
    /// <param name="delay">How long to wait; more than zero.</param>
    /// <returns>A task that completes when the broker holds the retry. If it throws, the engine releases the delivery.</returns>
    ValueTask RetryLaterAsync(TDelivery delivery, Envelope retry, TimeSpan delay);

    /// <summary>Send <paramref name="deadLetter"/> to the dead-letter destination of this consumer's source, then
    /// settle this delivery.</summary>
    /// <param name="delivery">The delivery.</param>
    /// <param name="deadLetter">The message with the reason headers.</param>
    /// <returns>A task that completes when the dead letter is stored. If it throws, the engine releases the delivery.</returns>
    ValueTask DeadLetterAsync(TDelivery delivery, Envelope deadLetter);

    /// <summary>Called once, after the last delivery was settled: close channels, store a final checkpoint, give up
    /// locks.</summary>
    /// <returns>A task that completes when the receiver has closed.</returns>
    Task CloseAsync();
}

/// <summary>
/// A receiver whose broker is polled (Kafka, SQS): the engine calls <see cref="ReceiveAsync"/> in one loop, never
/// asking for more than the free in-flight credit, and dispatches what comes back.
/// </summary>
/// <typeparam name="TDelivery">The adapter's delivery.</typeparam>
public interface IPullingReceiver<TDelivery> : IDeliveryReceiver<TDelivery>
    where TDelivery : InboundDelivery
{
    /// <summary>Receives up to <paramref name="maxCount"/> deliveries, waiting (long polling) until at least one
    /// arrives or <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="maxCount">The most to return (1 or more): the free credit, capped by the broker's batch limit.</param>
    /// <param name="into">Where to add them, in the broker's order.</param>
    /// <param name="cancellationToken">Cancelled when the consumer stops.</param>
    /// <returns>A task that completes when deliveries were added (possibly none, after a poll timeout).</returns>
    ValueTask ReceiveAsync(int maxCount, List<TDelivery> into, CancellationToken cancellationToken);

    /// <summary>How many deliveries one request brings at best (SQS: 10). While handlers run and less credit than this
    /// is free, the engine waits a few milliseconds for more before it asks, so that a saturated consumer's requests
    /// carry full batches instead of one message each (each request costs a round trip, and on SQS money).</summary>
    /// <value>The default value is 1: ask as soon as any credit is free.</value>
    int PreferredBatch => 1;

    /// <summary>The broker's name for the request <see cref="ReceiveAsync"/> makes (Kafka: <c>poll</c>, SQS:
    /// <c>ReceiveMessage</c>), the <c>messaging.operation.name</c> of the engine's receive span.</summary>
    /// <value>The default value is <c>receive</c>.</value>
    string ReceiveOperationName => "receive";
}

/// <summary>
/// A receiver whose broker takes a delivery back unless its lease is renewed (SQS visibility timeout): the engine
/// renews the lease of every delivery whose handler is still running.
/// </summary>
/// <typeparam name="TDelivery">The adapter's delivery.</typeparam>
public interface ILeasingReceiver<TDelivery> : IDeliveryReceiver<TDelivery>
    where TDelivery : InboundDelivery
{
    /// <summary>How often a running delivery's lease is renewed (well inside the lease's length).</summary>
    TimeSpan LeaseRenewalInterval { get; }

    /// <summary>Extends the lease of a delivery whose handler is still running.</summary>
    /// <param name="delivery">The delivery.</param>
    /// <param name="cancellationToken">Cancelled when the handler finishes.</param>
    /// <returns>A task that completes when the lease was extended.</returns>
    ValueTask RenewLeaseAsync(TDelivery delivery, CancellationToken cancellationToken);
}

/// <summary>
/// A push receiver that competes with other consumers for credit on a queue it serves itself (the in-memory broker):
/// a worker that finished a delivery asks it for the next one directly, keeping its credit, so that a busy consumer
/// costs no thread-pool hop per message.
/// </summary>
/// <typeparam name="TDelivery">The adapter's delivery.</typeparam>
public interface IHandoffReceiver<TDelivery> : IDeliveryReceiver<TDelivery>
    where TDelivery : InboundDelivery
{
    /// <summary>Takes the next waiting delivery for a worker that keeps its credit, or returns <see langword="null"/>.</summary>
    /// <returns>The delivery, or <see langword="null"/> when none waits.</returns>
    TDelivery? TryTakeNext();

    /// <summary>Called after a worker gave its credit back, so that a message that arrived while every consumer
    /// looked busy is not stranded.</summary>
    void CreditReturned();
}

namespace Messaging.Adapters.Transport;

/// <summary>An adapter's queue with the producer telemetry of <see cref="ProducerOperation"/> around its sends; its
/// consumers get theirs from the <see cref="ConsumerEngine{TDelivery}"/>.</summary>
internal sealed class InstrumentedQueue(IQueue inner, string system) : IQueue
{
    public ValueTask SendAsync(string queue, Envelope message, CancellationToken cancellationToken = default) =>
        message is not null && queue is not null && ProducerOperation.IsObserved
            ? SendObservedAsync(queue, message, cancellationToken)
            : inner.SendAsync(queue!, message!, cancellationToken);

    public ValueTask SendBatchAsync(string queue, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default) =>
        messages is not null && queue is not null && ProducerOperation.IsObserved
            ? SendBatchObservedAsync(queue, messages, cancellationToken)
            : inner.SendBatchAsync(queue!, messages!, cancellationToken);

    public Task<IConsumer> ConsumeAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default) =>
        inner.ConsumeAsync(queue, handler, options, cancellationToken);

    private async ValueTask SendObservedAsync(string queue, Envelope message, CancellationToken cancellationToken)
    {
        var operation = ProducerOperation.Start(system, MessagingAttributes.Send, queue, message);
        await operation.RunAsync(() => inner.SendAsync(queue, operation.Inject(message), cancellationToken)).ConfigureAwait(false);
    }

    private async ValueTask SendBatchObservedAsync(string queue, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken)
    {
        var operation = ProducerOperation.StartBatch(system, MessagingAttributes.Send, queue, messages);
        await operation.RunAsync(() => inner.SendBatchAsync(queue, operation.Inject(messages), cancellationToken)).ConfigureAwait(false);
    }
}

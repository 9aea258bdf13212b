namespace Messaging.Adapters.Transport;

/// <summary>An adapter's stream with the producer telemetry of <see cref="ProducerOperation"/> around its appends; its
/// readers get theirs from the <see cref="ConsumerEngine{TDelivery}"/>.</summary>
internal sealed class InstrumentedStream(IStream inner, string system) : IStream
{
    public ValueTask AppendAsync(string stream, Envelope message, CancellationToken cancellationToken = default) =>
        message is not null && stream is not null && ProducerOperation.IsObserved
            ? AppendObservedAsync(stream, message, cancellationToken)
            : inner.AppendAsync(stream!, message!, cancellationToken);

    public ValueTask AppendBatchAsync(string stream, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default) =>
        messages is not null && stream is not null && ProducerOperation.IsObserved
            ? AppendBatchObservedAsync(stream, messages, cancellationToken)
            : inner.AppendBatchAsync(stream!, messages!, cancellationToken);

    public Task<IConsumer> ReadAsync(string stream, string readerGroup, MessageHandler handler, StreamReadOptions? options = null, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(stream, readerGroup, handler, options, cancellationToken);

    private async ValueTask AppendObservedAsync(string stream, Envelope message, CancellationToken cancellationToken)
    {
        var operation = ProducerOperation.Start(system, MessagingAttributes.Append, stream, message);
        await operation.RunAsync(() => inner.AppendAsync(stream, operation.Inject(message), cancellationToken)).ConfigureAwait(false);
    }

    private async ValueTask AppendBatchObservedAsync(string stream, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken)
    {
        var operation = ProducerOperation.StartBatch(system, MessagingAttributes.Append, stream, messages);
        await operation.RunAsync(() => inner.AppendBatchAsync(stream, operation.Inject(messages), cancellationToken)).ConfigureAwait(false);
    }
}

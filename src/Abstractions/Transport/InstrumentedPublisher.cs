namespace Messaging.Adapters.Transport;

/// <summary>An adapter's publisher with the producer telemetry of <see cref="ProducerOperation"/> around it.</summary>
internal sealed class InstrumentedPublisher(IPublisher inner, string system) : IPublisher
{
    public ValueTask PublishAsync(string topic, Envelope message, CancellationToken cancellationToken = default) =>
        message is not null && topic is not null && ProducerOperation.IsObserved
            ? PublishObservedAsync(topic, message, cancellationToken)
            : inner.PublishAsync(topic!, message!, cancellationToken);

    public ValueTask PublishBatchAsync(string topic, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default) =>
        messages is not null && topic is not null && ProducerOperation.IsObserved
            ? PublishBatchObservedAsync(topic, messages, cancellationToken)
            : inner.PublishBatchAsync(topic!, messages!, cancellationToken);

    private async ValueTask PublishObservedAsync(string topic, Envelope message, CancellationToken cancellationToken)
    {
        var operation = ProducerOperation.Start(system, MessagingAttributes.Publish, topic, message);
        await operation.RunAsync(() => inner.PublishAsync(topic, operation.Inject(message), cancellationToken)).ConfigureAwait(false);
    }

    private async ValueTask PublishBatchObservedAsync(string topic, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken)
    {
        var operation = ProducerOperation.StartBatch(system, MessagingAttributes.Publish, topic, messages);
        await operation.RunAsync(() => inner.PublishBatchAsync(topic, operation.Inject(messages), cancellationToken)).ConfigureAwait(false);
    }
}

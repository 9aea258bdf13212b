using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Topology;

namespace Messaging.Adapters.Aws.Publishing;

/// <summary>
/// Publishes to topics: SNS <c>Publish</c> for one message, <c>PublishBatch</c> (10 per request) for a batch; SNS fans
/// each message out to the topic's subscription queues whose filter policy matches. A topic without subscriptions takes
/// the message and delivers it nowhere, as the contract says.
/// </summary>
internal sealed class SnsPublisher(AwsTransport transport) : IPublisher
{
    public ValueTask PublishAsync(string topic, Envelope message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        transport.ThrowIfDisposed();
        DestinationNames.Validate(topic, "topic", nameof(topic));
        transport.CapabilitiesOf(topic).EnsureFits(message, topic);
        return new(PublishAsync(topic, [message], batch: false, cancellationToken));
    }

    public ValueTask PublishBatchAsync(string topic, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(topic, "topic", nameof(topic));
        transport.CapabilitiesOf(topic).EnsureBatchFits(messages, topic);
        return messages.Count == 0 ? ValueTask.CompletedTask : new(PublishAsync(topic, messages, batch: true, cancellationToken));
    }

    private async Task PublishAsync(string topic, IReadOnlyList<Envelope> messages, bool batch, CancellationToken cancellationToken)
    {
        var wires = transport.ToWire(topic, messages);
        var fifo = transport.Options.IsFifo(topic);
        var snsMessages = new SnsMessage[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            snsMessages[i] = new SnsMessage(wires[i].Body, wires[i].Attributes, fifo ? messages[i].Key ?? messages[i].Id : null, fifo ? messages[i].Id : null);
        }

        var topicArn = await transport.Provisioner.TopicAsync(topic, cancellationToken).ConfigureAwait(false);
        try
        {
            await PublishAsync(topic, topicArn, messages, wires, snsMessages, batch, cancellationToken).ConfigureAwait(false);
        }
        catch (AwsDestinationNotFoundException)
        {
            // Deleted since its ARN was remembered: find (create) it again, once.
            transport.Provisioner.ForgetTopic(topic);
            topicArn = await transport.Provisioner.TopicAsync(topic, cancellationToken).ConfigureAwait(false);
            await PublishAsync(topic, topicArn, messages, wires, snsMessages, batch, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PublishAsync(string topic, string topicArn, IReadOnlyList<Envelope> messages, Envelopes.WireMessage[] wires, SnsMessage[] snsMessages, bool batch, CancellationToken cancellationToken)
    {
        if (!batch)
        {
            await transport.Sns.PublishAsync(topicArn, snsMessages[0], topic, cancellationToken).ConfigureAwait(false);
            return;
        }

        await BatchSend.SendAsync(messages, wires, transport.Options.MaxMessageSize, transport.Options.MaxErrorRetry, topic, async (indexes, ct) =>
        {
            var failures = await transport.Sns.PublishBatchAsync(topicArn, [.. indexes.Select(i => snsMessages[i])], topic, ct).ConfigureAwait(false);
            return (IReadOnlyList<BatchSend.EntryFailure>)failures.Select(f => new BatchSend.EntryFailure(indexes[f.Index], f.Code, f.Message, f.SenderFault)).ToList();
        }, cancellationToken).ConfigureAwait(false);
    }
}

using Amazon.SQS.Model;
using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Envelopes;
using Messaging.Adapters.Aws.Topology;

namespace Messaging.Adapters.Aws.Publishing;

/// <summary>
/// Sends to SQS queues: <c>SendMessage</c> for one message, <c>SendMessageBatch</c> (10 per request) for a batch; on a
/// FIFO queue the key is the message group id (the id where there is no key) and the message id the deduplication id
/// (but for a dead letter re-sent: <see cref="Consuming.RedriveLedger"/>).
/// </summary>
internal sealed class SqsSender(AwsTransport transport)
{
    /// <summary>Sends; completes when SQS has stored every message. <paramref name="deduplicationId"/>, on a FIFO queue,
    /// is the deduplication id of a single message instead of its id.</summary>
    public async Task SendAsync(string queue, IReadOnlyList<Envelope> messages, bool batch, bool create, CancellationToken cancellationToken, string? deduplicationId = null)
    {
        var wires = transport.ToWire(queue, messages);
        var info = await transport.Provisioner.QueueAsync(queue, create, cancellationToken).ConfigureAwait(false);
        try
        {
            await SendAsync(info, messages, wires, batch, deduplicationId, cancellationToken).ConfigureAwait(false);
        }
        catch (AwsDestinationNotFoundException) when (create)
        {
            // Deleted since its URL was remembered: create it again, once.
            transport.Provisioner.Forget(queue);
            info = await transport.Provisioner.QueueAsync(queue, create, cancellationToken).ConfigureAwait(false);
            await SendAsync(info, messages, wires, batch, deduplicationId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(QueueInfo queue, IReadOnlyList<Envelope> messages, WireMessage[] wires, bool batch, string? deduplicationId, CancellationToken cancellationToken)
    {
        var sqs = transport.Sqs;
        if (!batch)
        {
            var request = new SendMessageRequest { QueueUrl = queue.Url, MessageBody = wires[0].Body, MessageAttributes = wires[0].SqsAttributes() };
            if (queue.Fifo)
            {
                request.MessageGroupId = messages[0].Key ?? messages[0].Id;
                request.MessageDeduplicationId = deduplicationId ?? DeduplicationIdOf(messages[0]);
            }

            await SqsErrors.CallAsync("SendMessage", queue.Name, () => sqs.SendMessageAsync(request, cancellationToken)).ConfigureAwait(false);
            return;
        }

        await BatchSend.SendAsync(messages, wires, transport.Options.MaxMessageSize, transport.Options.MaxErrorRetry, queue.Name, async (indexes, ct) =>
        {
            var entries = new List<SendMessageBatchRequestEntry>(indexes.Count);
            foreach (var i in indexes)
            {
                var entry = new SendMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), wires[i].Body) { MessageAttributes = wires[i].SqsAttributes() };
                if (queue.Fifo)
                {
                    entry.MessageGroupId = messages[i].Key ?? messages[i].Id;
                    entry.MessageDeduplicationId = DeduplicationIdOf(messages[i]);
                }

                entries.Add(entry);
            }

            var response = await SqsErrors.CallAsync("SendMessageBatch", queue.Name, () => sqs.SendMessageBatchAsync(new SendMessageBatchRequest { QueueUrl = queue.Url, Entries = entries }, ct)).ConfigureAwait(false);
            return (IReadOnlyList<BatchSend.EntryFailure>)(response.Failed ?? [])
                .Select(f => new BatchSend.EntryFailure(int.Parse(f.Id, System.Globalization.CultureInfo.InvariantCulture), f.Code ?? "", f.Message ?? "", f.SenderFault ?? false))
                .ToList();
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The message id, or a fresh deduplication id for a dead letter sent again (a redrive).</summary>
    private string DeduplicationIdOf(Envelope message) => transport.Redrives.DeduplicationIdOf(message.Id) ?? message.Id;
}

using Amazon.SQS.Model;
using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Envelopes;
using Messaging.Adapters.Aws.Topology;

namespace Messaging.Adapters.Aws.Publishing;

/// <summary>
/// Sends to SQS queues: <c>SendMessage</c> for one message, <c>SendMessageBatch</c> (10 per request) for a batch; on a
/// FIFO queue the key is the message group id (the id where there is no key) and the message id the deduplication id.
/// </summary>
internal sealed class SqsSender(AwsTransport transport)
{
    /// <summary>Sends; completes when SQS has stored every message.</summary>
    public async Task SendAsync(string queue, IReadOnlyList<Envelope> messages, bool batch, bool create, CancellationToken cancellationToken)
    {
        var wires = transport.ToWire(queue, messages);
        var info = await transport.Provisioner.QueueAsync(queue, create, cancellationToken).ConfigureAwait(false);
        try
        {
            await SendAsync(info, messages, wires, batch, cancellationToken).ConfigureAwait(false);
        }
        catch (AwsDestinationNotFoundException) when (create)
        {
            // Deleted since its URL was remembered: create it again, once.
            transport.Provisioner.Forget(queue);
            info = await transport.Provisioner.QueueAsync(queue, create, cancellationToken).ConfigureAwait(false);
            await SendAsync(info, messages, wires, batch, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(QueueInfo queue, IReadOnlyList<Envelope> messages, WireMessage[] wires, bool batch, CancellationToken cancellationToken)
    {
        var sqs = transport.Sqs;
        if (!batch)
        {
            var request = new SendMessageRequest { QueueUrl = queue.Url, MessageBody = wires[0].Body, MessageAttributes = wires[0].SqsAttributes() };
            if (queue.Fifo)
            {
                request.MessageGroupId = messages[0].Key ?? messages[0].Id;
                request.MessageDeduplicationId = messages[0].Id;
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
                    entry.MessageDeduplicationId = messages[i].Id;
                }

                entries.Add(entry);
            }

            var response = await SqsErrors.CallAsync("SendMessageBatch", queue.Name, () => sqs.SendMessageBatchAsync(new SendMessageBatchRequest { QueueUrl = queue.Url, Entries = entries }, ct)).ConfigureAwait(false);
            return (IReadOnlyList<BatchSend.EntryFailure>)(response.Failed ?? [])
                .Select(f => new BatchSend.EntryFailure(int.Parse(f.Id, System.Globalization.CultureInfo.InvariantCulture), f.Code ?? "", f.Message ?? "", f.SenderFault ?? false))
                .ToList();
        }, cancellationToken).ConfigureAwait(false);
    }
}

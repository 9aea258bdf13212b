using System.Globalization;
using Amazon.SQS.Model;
using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Envelopes;
using Messaging.Adapters.Aws.Topology;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Aws.Consuming;

/// <summary>
/// Counts and peeks SQS queues with SQS's own means, which only estimate: the count is
/// <c>ApproximateNumberOfMessages</c> plus <c>ApproximateNumberOfMessagesNotVisible</c> (eventually consistent, it may
/// lag by a minute on AWS), a peek receives with a short visibility timeout and makes every message it received
/// visible again at once (<c>ChangeMessageVisibility</c> 0), each message once (by its SQS message id).
/// </summary>
/// <remarks>A peek may see fewer messages than the queue holds: SQS hands out what its servers answer in the wait,
/// messages a consumer holds are invisible, and a FIFO queue hands out nothing more of a message group while one of its
/// messages is held. Receiving raises a message's <c>ApproximateReceiveCount</c>; the library's dead-letter queues have
/// no redrive policy, so that moves nothing. A peek of another queue counts towards that queue's
/// <c>maxReceiveCount</c>, as any receive does.</remarks>
internal sealed class SqsQueueInspector(AwsTransport transport) : IQueueInspector
{
    /// <summary>How long a peeked message stays invisible if the peek cannot give it back (the process dies mid-peek).</summary>
    private const int PeekVisibilitySeconds = 10;

    public async Task<QueueCount> CountAsync(string queue, CancellationToken cancellationToken = default)
    {
        if (await FindAsync(queue, cancellationToken).ConfigureAwait(false) is not { } info)
        {
            return QueueCount.Missing;
        }

        GetQueueAttributesResponse attributes;
        try
        {
            attributes = await SqsErrors.CallAsync("GetQueueAttributes", queue, () => transport.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
            {
                QueueUrl = info.Url,
                AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            }, cancellationToken)).ConfigureAwait(false);
        }
        catch (AwsDestinationNotFoundException)
        {
            transport.Provisioner.Forget(queue);
            return QueueCount.Missing;
        }

        return new QueueCount(Read(attributes, "ApproximateNumberOfMessages") + Read(attributes, "ApproximateNumberOfMessagesNotVisible"), IsApproximate: true);
    }

    public async Task<IReadOnlyList<Envelope>> PeekAsync(string queue, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        if (await FindAsync(queue, cancellationToken).ConfigureAwait(false) is not { } info)
        {
            return [];
        }

        var letters = new List<Envelope>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var received = new List<string>();
        try
        {
            while (letters.Count < max)
            {
                var response = await SqsErrors.CallAsync("ReceiveMessage", queue, () => transport.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    QueueUrl = info.Url,
                    MaxNumberOfMessages = Math.Min(BatchLimit, max - letters.Count),

                    // A wait makes SQS ask all its servers, not a sample; 1 second is what an empty queue costs.
                    WaitTimeSeconds = 1,
                    VisibilityTimeout = PeekVisibilitySeconds,
                    MessageAttributeNames = ["All"],
                }, cancellationToken)).ConfigureAwait(false);
                if (response.Messages is not { Count: > 0 } messages)
                {
                    break;
                }

                foreach (var message in messages)
                {
                    received.Add(message.ReceiptHandle);
                    if (seen.Add(message.MessageId) && letters.Count < max)
                    {
                        letters.Add(SqsEnvelope.FromSqs(message));
                    }
                }
            }
        }
        finally
        {
            await GiveBackAsync(info, received).ConfigureAwait(false);
        }

        return letters;
    }

    private const int BatchLimit = 10;

    /// <summary>Makes the received messages visible again at once, whatever happened to the peek.</summary>
    private async Task GiveBackAsync(QueueInfo queue, List<string> receiptHandles)
    {
        foreach (var chunk in receiptHandles.Chunk(BatchLimit))
        {
            await SqsErrors.CallAsync("ChangeMessageVisibilityBatch", queue.Name, () => transport.Sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest
            {
                QueueUrl = queue.Url,
                Entries = [.. chunk.Select((handle, i) => new ChangeMessageVisibilityBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), handle) { VisibilityTimeout = 0 })],
            }, CancellationToken.None)).ConfigureAwait(false);
        }
    }

    private async Task<QueueInfo?> FindAsync(string queue, CancellationToken cancellationToken)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(queue, "queue", nameof(queue));
        return await transport.Provisioner.TryFindQueueAsync(queue, cancellationToken).ConfigureAwait(false);
    }

    private static long Read(GetQueueAttributesResponse response, string name) =>
        response.Attributes is { } attributes && attributes.TryGetValue(name, out var text)
        && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
}

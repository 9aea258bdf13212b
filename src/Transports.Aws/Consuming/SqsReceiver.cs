using System.Globalization;
using Amazon.SQS.Model;
using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Envelopes;
using Messaging.Adapters.Aws.Publishing;
using Messaging.Adapters.Aws.Topology;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.Aws.Consuming;

/// <summary>
/// One consumer of an SQS queue (a queue, or a subscription's queue) on the consumer engine: long polls of up to 10
/// messages within the engine's free credit, batched deletes, the visibility timeout as lease, delayed retry and release.
/// </summary>
/// <remarks>
/// <para>Settlement in SQS's terms: acknowledge = <c>DeleteMessageBatch</c> (through <see cref="SettlementBatcher{T}"/>),
/// release = visibility 0, retry after D = visibility D (the message stays in the queue, invisible, and comes back with
/// its <c>ApproximateReceiveCount</c> raised), dead letter = a send to <c>&lt;queue&gt;.dead-letter</c> then delete. While
/// a handler runs, the engine renews the visibility every third of <see cref="AwsTransportOptions.VisibilityTimeout"/>.</para>
/// <para>The attempt a delivery is: exact when this transport gave the message back itself (it notes the attempts
/// made, <see cref="AttemptLedger"/>), else estimated from SQS's receive count.</para>
/// </remarks>
internal sealed partial class SqsReceiver : IPullingReceiver<SqsDelivery>, ILeasingReceiver<SqsDelivery>
{
    private const int MaxVisibilitySeconds = 12 * 60 * 60;

    private readonly AwsTransport _transport;
    private readonly QueueInfo _queue;
    private readonly string? _topic;
    private readonly string? _subscription;
    private readonly RetryPolicy _retry;
    private readonly SettlementBatcher<string> _deletes;
    private readonly int _visibilitySeconds;
    private readonly Random _jitter = new();
    private readonly bool _fromDeadLetterQueue;
    private DeliveryScope? _scope;
    private int _failedReceives;

    public SqsReceiver(AwsTransport transport, QueueInfo queue, string? topic, string? subscription, RetryPolicy retry)
    {
        _transport = transport;
        _queue = queue;
        _topic = topic;
        _subscription = subscription;
        _retry = retry;
        _visibilitySeconds = (int)Math.Ceiling(transport.Options.VisibilityTimeout.TotalSeconds);
        LeaseRenewalInterval = transport.Options.VisibilityTimeout / 3;
        _deletes = new SettlementBatcher<string>(DeleteBatchAsync, BatchSend.MaxEntries);
        _fromDeadLetterQueue = queue.Name.EndsWith(DestinationNames.DeadLetterSuffix, StringComparison.Ordinal);
    }

    public TimeSpan LeaseRenewalInterval { get; }

    /// <summary>Deletes made and the requests they took, for measurements.</summary>
    public SettlementBatcher<string> Deletes => _deletes;

    public Task StartAsync(IDeliverySink<SqsDelivery> sink, CancellationToken cancellationToken)
    {
        _scope = sink.CreateScope("SQS queue " + _queue.Name);
        return Task.CompletedTask;
    }

    /// <summary>A receive brings up to 10 messages: a busy consumer waits a moment for 10 free slots before asking.</summary>
    public int PreferredBatch => BatchSend.MaxEntries;

    public string ReceiveOperationName => "ReceiveMessage";

    public async ValueTask ReceiveAsync(int maxCount, List<SqsDelivery> into, CancellationToken cancellationToken)
    {
        var request = new ReceiveMessageRequest
        {
            QueueUrl = _queue.Url,
            MaxNumberOfMessages = Math.Min(maxCount, BatchSend.MaxEntries),
            WaitTimeSeconds = (int)_transport.Options.ReceiveWaitTime.TotalSeconds,
            VisibilityTimeout = _visibilitySeconds,
            MessageAttributeNames = ["All"],
            MessageSystemAttributeNames = ["ApproximateReceiveCount", "SentTimestamp", "MessageGroupId"],
        };

        // The poll is not cancelled with the consumer: SQS would go on with a long poll whose caller hung up and hand
        // it messages nobody handles, invisible for the whole visibility timeout. A stop leaves the poll to finish and
        // gives back whatever it brings (see AbandonPoll).
        var poll = SqsErrors.CallAsync("ReceiveMessage", _queue.Name, () => _transport.Sqs.ReceiveMessageAsync(request, _transport.Closing));
        ReceiveMessageResponse response;
        try
        {
            response = await poll.WaitAsync(cancellationToken).ConfigureAwait(false);
            _failedReceives = 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            AbandonPoll(poll);
            throw;
        }
        catch (AwsServiceException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
        {
            // The service is unreachable or throttling (an emulator restarting, a network blip): wait and poll again,
            // rather than stop the consumer. Messages not deleted come back after their visibility timeout.
            var retry = ++_failedReceives;
            LogReceiveFailed(_transport.ConsumerLogger, _queue.Name, retry, ex);
            await Task.Delay(RetryBackoff.Delay(Math.Min(retry, 6), _jitter) + TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var message in response.Messages ?? [])
        {
            into.Add(ToDelivery(message));
        }
    }

    public ValueTask AcknowledgeAsync(SqsDelivery delivery) => new(_deletes.SettleAsync(delivery.ReceiptHandle));

    public async ValueTask ReleaseAsync(SqsDelivery delivery, int attemptsMade)
    {
        _transport.Attempts.Record(delivery.SqsMessageId, attemptsMade);
        await ChangeVisibilityAsync(delivery, 0, CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask RetryLaterAsync(SqsDelivery delivery, Envelope retry, TimeSpan delay)
    {
        // SQS counts visibility in whole seconds; a shorter delay waits one second.
        var seconds = (int)Math.Clamp(Math.Ceiling(delay.TotalSeconds), 1, MaxVisibilitySeconds);
        _transport.Attempts.Record(delivery.SqsMessageId, DeliveryAttempts.NextAttempt(retry) - 1);
        await ChangeVisibilityAsync(delivery, seconds, CancellationToken.None, throwOnFailure: true).ConfigureAwait(false);
    }

    public async ValueTask DeadLetterAsync(SqsDelivery delivery, Envelope deadLetter)
    {
        // On a FIFO dead-letter queue the deduplication id is this receive's message, not the envelope's id: a message
        // redriven and dead-lettered again within 5 minutes would otherwise be dropped as a duplicate of its first dead
        // letter (and then deleted here: lost). The same received message dead-lettered twice is still deduplicated.
        // A letter that failed in a dead-letter queue goes back into it (DeadLetterQueues.TargetOf).
        await _transport.Sender.SendAsync(DeadLetterQueues.TargetOf(_queue.Name), [deadLetter], batch: false, create: true, CancellationToken.None, deduplicationId: "dead-letter-" + delivery.SqsMessageId).ConfigureAwait(false);
        await _deletes.SettleAsync(delivery.ReceiptHandle).ConfigureAwait(false);
    }

    public async ValueTask RenewLeaseAsync(SqsDelivery delivery, CancellationToken cancellationToken) =>
        await ChangeVisibilityAsync(delivery, _visibilitySeconds, cancellationToken, throwOnFailure: true).ConfigureAwait(false);

    public Task StopReceivingAsync() => Task.CompletedTask;

    public Task CloseAsync() => _deletes.DrainAsync();

    /// <summary>Lets a poll whose consumer stopped finish in the background and makes what it received visible again
    /// at once, so that no message waits out a visibility timeout for a consumer that is gone.</summary>
    private void AbandonPoll(Task<ReceiveMessageResponse> poll) =>
        _ = poll.ContinueWith(
            async finished =>
            {
                if (!finished.IsCompletedSuccessfully || finished.Result.Messages is not { Count: > 0 } messages)
                {
                    return;
                }

                // Never handled: the next receive continues the count these messages had.
                foreach (var message in messages)
                {
                    _transport.Attempts.Record(message.MessageId, AttemptOf(message, SqsEnvelope.FromSqs(message)) - 1);
                }

                try
                {
                    await SqsErrors.CallAsync("ChangeMessageVisibilityBatch", _queue.Name, () => _transport.Sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest
                    {
                        QueueUrl = _queue.Url,
                        Entries = [.. messages.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle) { VisibilityTimeout = 0 })],
                    }, _transport.Closing)).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is AwsServiceException or OperationCanceledException)
                {
                    // They come back after their visibility timeout instead.
                    LogAbandonedPollNotReleased(_transport.ConsumerLogger, _queue.Name, messages.Count, ex);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private SqsDelivery ToDelivery(Message message)
    {
        var envelope = SqsEnvelope.FromSqs(message);
        var receiveCount = ReceiveCount(message);
        var attempt = AttemptOf(message, envelope);
        _transport.Attempts.Forget(message.MessageId);
        if (_fromDeadLetterQueue)
        {
            _transport.Redrives.Received(envelope.Id, message.MessageId);
        }

        var received = new ReceivedMessage(envelope, _queue.Name, attempt, redelivered: receiveCount > 1)
        {
            DeliveryCount = receiveCount,
            Topic = _topic,
            Subscription = _subscription,
        };
        return new SqsDelivery(received, _scope!, message.ReceiptHandle, message.MessageId);
    }

    private static int ReceiveCount(Message message) =>
        message.Attributes is { } system && system.TryGetValue("ApproximateReceiveCount", out var text)
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 ? count : 1;

    /// <summary>The attempt a receive of <paramref name="message"/> is: exact when this transport gave the message back
    /// itself (a delayed retry, a release, a poll abandoned by a stop: <see cref="AttemptLedger"/>), else estimated from
    /// SQS's receive count (another process gave it back, or crashed): a message received for the n-th time (n &gt; 1)
    /// has had its first delivery's attempt and immediate retries, and one attempt per later delivery.</summary>
    private int AttemptOf(Message message, Envelope envelope)
    {
        if (_transport.Attempts.Made(message.MessageId) is { } made)
        {
            return made >= int.MaxValue - 1 ? int.MaxValue : DeliveryAttempts.NextAttempt(envelope) + made;
        }

        var receiveCount = ReceiveCount(message);
        var attempt = DeliveryAttempts.NextAttempt(envelope, receiveCount);
        return receiveCount <= 1 || attempt > int.MaxValue - _retry.ImmediateRetries ? attempt : attempt + _retry.ImmediateRetries;
    }

    private async Task ChangeVisibilityAsync(SqsDelivery delivery, int seconds, CancellationToken cancellationToken, bool throwOnFailure = false)
    {
        try
        {
            await SqsErrors.CallAsync("ChangeMessageVisibility", _queue.Name, () => _transport.Sqs.ChangeMessageVisibilityAsync(new ChangeMessageVisibilityRequest
            {
                QueueUrl = _queue.Url,
                ReceiptHandle = delivery.ReceiptHandle,
                VisibilityTimeout = seconds,
            }, cancellationToken)).ConfigureAwait(false);
        }
        catch (AwsServiceException ex) when (!throwOnFailure && ex.ErrorCode is "ReceiptHandleIsInvalid" or "InvalidParameterValue" or "AWS.SimpleQueueService.MessageNotInflight" or "MessageNotInflight")
        {
            // The visibility ran out already: the message is back in the queue, which is what a release wants.
        }
    }

    private async Task<IReadOnlyList<Exception?>> DeleteBatchAsync(IReadOnlyList<string> receiptHandles, CancellationToken cancellationToken)
    {
        var entries = new List<DeleteMessageBatchRequestEntry>(receiptHandles.Count);
        for (var i = 0; i < receiptHandles.Count; i++)
        {
            entries.Add(new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), receiptHandles[i]));
        }

        var response = await SqsErrors.CallAsync("DeleteMessageBatch", _queue.Name, () => _transport.Sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest { QueueUrl = _queue.Url, Entries = entries }, cancellationToken)).ConfigureAwait(false);
        var results = new Exception?[receiptHandles.Count];
        foreach (var failed in response.Failed ?? [])
        {
            if (int.TryParse(failed.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < results.Length)
            {
                // The message comes back after its visibility timeout: a duplicate, never a loss.
                results[index] = new AwsServiceException("SQS", "DeleteMessageBatch", _queue.Name, failed.Code ?? "", System.Net.HttpStatusCode.OK, failed.Message ?? "", isTransient: !(failed.SenderFault ?? false));
            }
        }

        return results;
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "{Count} message(s) a stopped consumer of SQS queue {Queue} received could not be made visible again; they come back after their visibility timeout")]
    private static partial void LogAbandonedPollNotReleased(ILogger logger, string queue, int count, Exception exception);

    [LoggerMessage(EventId = 2100, Level = LogLevel.Warning, Message = "Receiving from SQS queue {Queue} failed ({Failures} in a row); polling again")]
    private static partial void LogReceiveFailed(ILogger logger, string queue, int failures, Exception exception);
}

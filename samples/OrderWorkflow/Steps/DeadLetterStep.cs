using System.Collections.Concurrent;
using Messaging.Adapters;
using OrderWorkflow.Services;
using OrderWorkflow.Story;

namespace OrderWorkflow.Steps;

/// <summary>
/// Step 6: two bad settlement jobs, one that is not valid JSON (a poison message) and one with a negative amount
/// (rejected by the worker), go to the queue's dead-letter queue with the reason, without retries; the worker keeps
/// going. The dead letters are then read back from the dead-letter queue.
/// </summary>
internal sealed class DeadLetterStep(IQueue queue, MessageCodec codec, WorkflowNames names, Milestones milestones, Checklist checks, Narrator narrator) : IWorkflowStep
{
    public string Title => "Dead letters: bad messages are set aside with the reason";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var settled = milestones["settled:step6"];
        var worker = new SettlementWorker("payment-worker-a", codec, narrator) { SettledCallback = (_, _) => milestones.Mark(settled.Name) };
        var poison = new Envelope(SettlePayment.TypeName, "{\"job\": 11, \"orderId\": \"20"u8.ToArray()) { ContentType = "application/json", Key = "job-11" };
        var negative = codec.Encode(new SettlePayment(12, "2012", -5.00m)) with { Key = "job-12" };
        var good = codec.Encode(new SettlePayment(13, "2013", 42.00m)) with { Key = "job-13" };

        var consumer = await queue.ConsumeAsync(names.PaymentJobsQueue, worker.Handler, new ConsumerOptions { MaxInFlight = 1 }, cancellationToken).ConfigureAwait(false);
        await using (consumer.ConfigureAwait(false))
        {
            narrator.Line("sending job 11 with a truncated body, job 12 with a negative amount, and a good job 13");
            await queue.SendBatchAsync(names.PaymentJobsQueue, [poison, negative, good], cancellationToken).ConfigureAwait(false);
            await checks.WaitForAsync(settled, "the worker went on and settled job 13 after the two bad jobs", cancellationToken).ConfigureAwait(false);
            await ReadDeadLettersAsync(poison, negative, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ReadDeadLettersAsync(Envelope poison, Envelope negative, CancellationToken cancellationToken)
    {
        var deadLetterQueue = DestinationNames.DeadLetterQueue(names.PaymentJobsQueue);
        var deadLetters = new ConcurrentDictionary<string, Envelope>(StringComparer.Ordinal);
        var arrived = milestones["dead-letter:step6"];
        var reader = await queue.ConsumeAsync(
            deadLetterQueue,
            (message, _) =>
            {
                deadLetters[message.Envelope.Id] = message.Envelope;
                milestones.Mark(arrived.Name);
                return ValueTask.CompletedTask;
            },
            new ConsumerOptions { MaxInFlight = 1 },
            cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            narrator.Line($"reading {deadLetterQueue}:");
            await checks.WaitForAsync(arrived, "both bad jobs arrived in the dead-letter queue", cancellationToken, times: 2).ConfigureAwait(false);
        }

        foreach (var letter in deadLetters.Values.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            var headers = letter.Headers;
            narrator.Say("dead-letters", $"{letter.Key} ({letter.Type}): {headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterAttempts, "?")} attempt(s), from {headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterSource, "?")}");
            narrator.Line($"    reason: {headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterReason, "(none)")}");
        }

        CheckDeadLetter(deadLetters, poison, "Poison message:", "job 11 was dead-lettered as a poison message after 1 attempt, body intact");
        CheckDeadLetter(deadLetters, negative, "the amount must be positive", "job 12 was dead-lettered with the worker's reason after 1 attempt, body intact");
    }

    private void CheckDeadLetter(ConcurrentDictionary<string, Envelope> deadLetters, Envelope sent, string reasonContains, string expectation)
    {
        if (!deadLetters.TryGetValue(sent.Id, out var letter))
        {
            checks.Verify(false, expectation, "not in the dead-letter queue");
            return;
        }

        var reason = letter.Headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterReason, "");
        var attempts = letter.Headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterAttempts, "");
        checks.Verify(
            reason.Contains(reasonContains, StringComparison.Ordinal) && attempts == "1" && letter.Body.Span.SequenceEqual(sent.Body.Span),
            expectation,
            $"reason '{reason}', attempts '{attempts}'");
    }
}

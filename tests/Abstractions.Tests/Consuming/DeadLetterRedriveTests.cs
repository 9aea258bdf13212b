using Messaging.Adapters.InMemory;
using Messaging.Adapters.Transport;
using Messaging.Adapters.Tests.TestDoubles;

namespace Messaging.Adapters.Tests.Consuming;

public sealed class DeadLetterRedriveTests
{
    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_dead_letter_is_sent_back_to_its_source_without_the_dead_letter_headers_and_with_the_same_id()
    {
        var original = new Envelope("payment.requested", "{\"amount\":12}"u8.ToArray()) { Key = "k-1", CorrelationId = "c-9" }
            .WithHeaders([new("tenant", "acme"), new("messaging.trace", "keep-me"), new(EnvelopeHeaders.Attempt, "5")]);
        var deadLetter = HandlerPipeline.ToDeadLetter(new ReceivedMessage(original, "payments", attempt: 5), new InvalidOperationException("declined"))
            .WithHeader(EnvelopeHeaders.Attempt, "2"); // as a transport would add while the dead-letter queue is retried
        var queue = new RecordingQueue();
        var handler = DeadLetterRedrive.CreateHandler(queue);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestToken);

        await handler(new ReceivedMessage(deadLetter, DestinationNames.DeadLetterQueue("payments")), cts.Token);

        var (sentTo, resent, token) = Assert.Single(queue.Sent);
        Assert.Equal("payments", sentTo);
        Assert.Equal(cts.Token, token);
        Assert.Equal(original.Id, resent.Id);
        Assert.Equal(original.Type, resent.Type);
        Assert.Equal(original.Key, resent.Key);
        Assert.Equal(original.CorrelationId, resent.CorrelationId);
        Assert.True(resent.Body.Span.SequenceEqual(original.Body.Span));
        Assert.Equal(
            new Dictionary<string, string> { ["tenant"] = "acme", ["messaging.trace"] = "keep-me" },
            resent.Headers.ToDictionary());
    }

    [Fact]
    public async Task A_dead_letter_of_a_subscription_goes_back_to_that_subscriptions_queue_only()
    {
        var subscriptionQueue = DestinationNames.SubscriptionQueue("orders", "billing");
        var deadLetter = HandlerPipeline.ToDeadLetter(new ReceivedMessage(new Envelope("order.placed", "{}"u8.ToArray()), subscriptionQueue), new DeadLetterException("bad"));
        var queue = new RecordingQueue();

        await DeadLetterRedrive.CreateHandler(queue)(new ReceivedMessage(deadLetter, DestinationNames.DeadLetterQueue(subscriptionQueue)), TestToken);

        Assert.Equal("orders.billing", Assert.Single(queue.Sent).Queue);
    }

    [Fact]
    public async Task A_stream_reader_groups_dead_letter_is_refused_naming_the_stream_the_group_and_the_offset()
    {
        var read = new ReceivedMessage(new Envelope("audit.recorded", "{}"u8.ToArray()), "audit")
        {
            ReaderGroup = "archiver",
            StreamPartition = 0,
            StreamOffset = 41,
        };
        var deadLetter = HandlerPipeline.ToDeadLetter(read, new InvalidOperationException("disk full"));
        var queue = new RecordingQueue();

        var ex = await Assert.ThrowsAsync<DeadLetterException>(async () =>
            await DeadLetterRedrive.CreateHandler(queue)(new ReceivedMessage(deadLetter, "audit.archiver.dead-letter"), TestToken));

        Assert.Empty(queue.Sent);
        Assert.Contains("reader group 'archiver' of stream 'audit'", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("partition 0, offset 41", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_letter_that_fails_in_its_dead_letter_queue_keeps_its_source_and_stream_position_and_gets_the_new_reason()
    {
        var read = new ReceivedMessage(new Envelope("audit.recorded", "{}"u8.ToArray()), "audit") { ReaderGroup = "archiver", StreamPartition = 0, StreamOffset = 7 };
        var deadLetter = HandlerPipeline.ToDeadLetter(read, new InvalidOperationException("disk full"));

        var again = HandlerPipeline.ToDeadLetter(new ReceivedMessage(deadLetter, "audit.archiver.dead-letter", attempt: 3), new DeadLetterException("refused"));

        Assert.Equal("refused", again.Headers[EnvelopeHeaders.DeadLetterReason]);
        Assert.Equal("audit", again.Headers[EnvelopeHeaders.DeadLetterSource]);
        Assert.Equal("archiver", again.Headers[EnvelopeHeaders.DeadLetterReaderGroup]);
        Assert.Equal("7", again.Headers[EnvelopeHeaders.DeadLetterStreamOffset]);
        Assert.Equal("1", again.Headers[EnvelopeHeaders.DeadLetterAttempts]);
        Assert.False(again.Headers.ContainsKey(EnvelopeHeaders.DeadLetterExceptionType), "The refusal is the last failure: no exception of an earlier one.");
        Assert.Equal(deadLetter.Id, again.Id);
        Assert.Equal("audit.archiver.dead-letter", DeadLetterQueues.TargetOf("audit.archiver.dead-letter"));
        Assert.Equal("audit.archiver.dead-letter", DeadLetterQueues.TargetOf("audit.archiver"));
    }

    [Fact]
    public void A_foreign_message_that_fails_in_a_dead_letter_queue_gets_no_source_that_would_send_it_back_to_itself()
    {
        var foreign = new Envelope("x", "{}"u8.ToArray());

        var letter = new DeadLetter(HandlerPipeline.ToDeadLetter(new ReceivedMessage(foreign, "payments.dead-letter"), new DeadLetterException("unknown")));

        Assert.Null(letter.Source);
        Assert.NotNull(letter.RedriveRefusal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a queue!")]
    [InlineData(".hidden")]
    public async Task A_dead_letter_without_a_usable_source_is_dead_lettered_again_with_that_reason(string? source)
    {
        var message = new Envelope("payment.requested", "{}"u8.ToArray()).WithHeader(EnvelopeHeaders.DeadLetterReason, "declined");
        if (source is not null)
        {
            message = message.WithHeader(EnvelopeHeaders.DeadLetterSource, source);
        }

        var queue = new RecordingQueue();
        var handler = DeadLetterRedrive.CreateHandler(queue);

        var ex = await Assert.ThrowsAsync<DeadLetterException>(async () => await handler(new ReceivedMessage(message, "payments.dead-letter"), TestToken));

        Assert.Contains(message.Id, ex.Reason, StringComparison.Ordinal);
        Assert.Contains(EnvelopeHeaders.DeadLetterSource, ex.Reason, StringComparison.Ordinal);
        Assert.Empty(queue.Sent);
    }

    [Fact]
    public async Task Through_the_pipeline_a_dead_letter_without_a_source_goes_back_to_the_dead_letter_queue_at_once()
    {
        var queue = new RecordingQueue();
        var pipeline = new HandlerPipeline(DeadLetterRedrive.CreateHandler(queue), RetryPolicy.Default);

        var result = await pipeline.HandleAsync(new ReceivedMessage(new Envelope("x", "{}"u8.ToArray()), "payments.dead-letter"), TestToken);

        Assert.Equal(HandlingOutcome.DeadLetter, result.Outcome);
        Assert.Equal(1, result.Attempts);
        Assert.Empty(queue.Sent);
    }

    [Fact]
    public async Task StartAsync_re_sends_letters_until_stopped_and_keeps_refused_ones_in_the_queue()
    {
        await using var transport = new InMemoryTransport();
        var queue = transport.Queue;
        var redriven = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var payments = await queue.ConsumeAsync("payments", (message, _) =>
        {
            redriven.TrySetResult(message);
            return ValueTask.CompletedTask;
        }, cancellationToken: TestToken);
        var letter = HandlerPipeline.ToDeadLetter(new ReceivedMessage(new Envelope("x", "{}"u8.ToArray()), "payments"), new DeadLetterException("bad"));
        var orphan = new Envelope("y", "{}"u8.ToArray());

        await using var consumer = await DeadLetterRedrive.StartAsync(queue, "payments.dead-letter", TestToken);
        await queue.SendAsync("payments.dead-letter", orphan, TestToken);
        await queue.SendAsync("payments.dead-letter", letter, TestToken);

        Assert.Equal(letter.Id, (await redriven.Task.WaitAsync(TimeSpan.FromSeconds(10), TestToken)).Envelope.Id);
        await consumer.StopAsync(TestToken);
        await consumer.Completion.WaitAsync(TimeSpan.FromSeconds(10), TestToken);
        var left = await new DeadLetters(transport).PeekAsync("payments.dead-letter", 10, TestToken);
        Assert.Equal(orphan.Id, Assert.Single(left).Id);
        Assert.False((await new DeadLetters(transport).CountAsync("payments.dead-letter.dead-letter", TestToken)).Exists);
    }
}

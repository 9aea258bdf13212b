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
    public async Task A_refused_stream_dead_letter_dead_lettered_again_is_a_queues_dead_letter_and_goes_back_to_that_queue()
    {
        var read = new ReceivedMessage(new Envelope("audit.recorded", "{}"u8.ToArray()), "audit") { ReaderGroup = "archiver", StreamPartition = 0, StreamOffset = 7 };
        var deadLetter = HandlerPipeline.ToDeadLetter(read, new InvalidOperationException("disk full"));
        var refusal = new DeadLetterException("refused");
        var twiceDead = HandlerPipeline.ToDeadLetter(new ReceivedMessage(deadLetter, "audit.archiver.dead-letter"), refusal);
        var queue = new RecordingQueue();

        Assert.False(twiceDead.Headers.ContainsKey(EnvelopeHeaders.DeadLetterReaderGroup));
        Assert.False(twiceDead.Headers.ContainsKey(EnvelopeHeaders.DeadLetterStreamOffset));
        await DeadLetterRedrive.CreateHandler(queue)(new ReceivedMessage(twiceDead, "audit.archiver.dead-letter.dead-letter"), TestToken);

        Assert.Equal("audit.archiver.dead-letter", Assert.Single(queue.Sent).Queue);
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
    public async Task StartAsync_consumes_the_dead_letter_queue_with_a_handler_that_re_sends()
    {
        var queue = new RecordingQueue();

        var consumer = await DeadLetterRedrive.StartAsync(queue, "payments.dead-letter", TestToken);

        var call = Assert.Single(queue.Consumed);
        Assert.Same(call.Consumer, consumer);
        Assert.Equal("payments.dead-letter", call.Queue);
        var deadLetter = HandlerPipeline.ToDeadLetter(new ReceivedMessage(new Envelope("x", "{}"u8.ToArray()), "payments"), new DeadLetterException("bad"));
        await call.Handler(new ReceivedMessage(deadLetter, "payments.dead-letter"), TestToken);
        Assert.Equal("payments", Assert.Single(queue.Sent).Queue);
    }
}

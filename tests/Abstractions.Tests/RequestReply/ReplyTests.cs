using Messaging.Adapters.Tests.TestDoubles;

namespace Messaging.Adapters.Tests.RequestReply;

public sealed class ReplyTests
{
    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_reply_goes_to_the_requests_reply_queue_correlated_to_the_request()
    {
        var queue = new RecordingQueue();
        var request = new ReceivedMessage(new Envelope("price.query", ReadOnlyMemory<byte>.Empty) { ReplyTo = "replies.abc" }, "prices");
        var reply = new Envelope("price.answer", "{\"price\":3}"u8.ToArray());

        await queue.ReplyAsync(request, reply, TestToken);

        var (to, sent, _) = Assert.Single(queue.Sent);
        Assert.Equal("replies.abc", to);
        Assert.Equal(reply.Id, sent.Id);
        Assert.Equal(request.Envelope.Id, sent.CorrelationId);
        Assert.Equal(request.Envelope.Id, sent.CausationId);
    }

    [Fact]
    public async Task A_request_without_a_reply_queue_is_dead_lettered_with_the_reason()
    {
        var queue = new RecordingQueue();
        var request = new ReceivedMessage(new Envelope("price.query", ReadOnlyMemory<byte>.Empty), "prices");
        var pipeline = new HandlerPipeline((m, ct) => queue.ReplyAsync(m, new Envelope("price.answer", ReadOnlyMemory<byte>.Empty), ct), RetryPolicy.Default);

        var result = await pipeline.HandleAsync(request, TestToken);

        Assert.Equal(HandlingOutcome.DeadLetter, result.Outcome);
        Assert.Equal(1, result.Attempts);
        Assert.Contains("no ReplyTo", result.Message!.Headers[EnvelopeHeaders.DeadLetterReason], StringComparison.Ordinal);
        Assert.Empty(queue.Sent);
    }
}

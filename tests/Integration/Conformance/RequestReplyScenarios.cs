using System.Diagnostics;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Request/reply over queues with <see cref="RequestClient"/> and <see cref="RequestReplyExtensions.ReplyAsync"/>:
/// replies are correlated to their requests, and a missing reply times out naming the request.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class RequestReplyScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    [Fact]
    public async Task Each_request_gets_its_own_reply()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("requests");
        var responder = await Fixture.ConnectAnotherAsync(Ct);
        await scope.ConsumeAsync(queue, EchoResponder(responder), new ConsumerOptions { MaxInFlight = 8 }, responder);
        var client = scope.Own(await RequestClient.StartAsync(Transport, Fixture.UniqueName("replies"), Ct));

        var requests = Fixture.NewMessages(20, (_, m) => m with { Type = "conformance.ping" });
        var replies = await Within(Task.WhenAll(requests.Select(r => client.RequestAsync(queue, r, Fixture.Timeout, Ct))), "20 replies");

        for (var i = 0; i < requests.Count; i++)
        {
            var (request, reply) = (requests[i], replies[i]);
            Assert.Equal(request.Id, reply.Envelope.CorrelationId);
            Assert.Equal(request.Id, reply.Envelope.CausationId);
            Assert.Equal("conformance.pong", reply.Envelope.Type);
            Assert.True(reply.Envelope.Body.Span.SequenceEqual(request.Body.Span), $"The reply to {request.Id} carries another request's body.");
            Assert.Equal(client.ReplyQueue, reply.Source);
        }

        Assert.Equal(requests.Count, replies.Select(r => r.Envelope.Id).Distinct().Count());
    }

    [Fact]
    public async Task A_request_without_a_reply_times_out_naming_its_correlation_id()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("unanswered");
        await Transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        var client = scope.Own(await RequestClient.StartAsync(Transport, Fixture.UniqueName("replies"), Ct));
        var request = Fixture.NewMessage();
        var timeout = TimeSpan.FromMilliseconds(250);

        var started = Stopwatch.GetTimestamp();
        var error = await Assert.ThrowsAsync<RequestTimeoutException>(() => client.RequestAsync(queue, request, timeout, Ct));
        var waited = Stopwatch.GetElapsedTime(started);

        Assert.Equal(request.Id, error.CorrelationId);
        Assert.Equal(queue, error.Queue);
        Assert.Equal(timeout, error.Timeout);
        Assert.Contains(request.Id, error.Message, StringComparison.Ordinal);
        Assert.True(waited >= timeout * 0.8, $"The request gave up after {waited.TotalMilliseconds:0} ms, before its {timeout.TotalMilliseconds:0} ms timeout.");
    }

    [Fact]
    public async Task A_late_reply_is_dropped_and_the_next_request_gets_its_own_reply()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("slow");
        var client = scope.Own(await RequestClient.StartAsync(Transport, Fixture.UniqueName("replies"), Ct));
        var slow = Fixture.NewMessage();
        var release = NewSignal();
        var lateReplySent = NewSignal();
        var echo = EchoResponder(Transport);
        await scope.ConsumeAsync(
            queue,
            async (request, cancellationToken) =>
            {
                if (request.Envelope.Id == slow.Id)
                {
                    await release.Task.WaitAsync(cancellationToken);
                    await echo(request, cancellationToken);
                    lateReplySent.TrySetResult();
                    return;
                }

                await echo(request, cancellationToken);
            },
            new ConsumerOptions { MaxInFlight = 4 });

        await Assert.ThrowsAsync<RequestTimeoutException>(() => client.RequestAsync(queue, slow, TimeSpan.FromMilliseconds(200), Ct));
        release.TrySetResult();
        await Within(lateReplySent.Task, "the late reply to be sent");

        var next = Fixture.NewMessage();
        var reply = await client.RequestAsync(queue, next, Fixture.Timeout, Ct);
        Assert.Equal(next.Id, reply.Envelope.CorrelationId);
    }

    [Fact]
    public async Task A_request_without_reply_to_is_dead_lettered_by_ReplyAsync()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("no-reply-to");
        var deadLetterQueue = DestinationNames.DeadLetterQueue(queue);
        scope.Track(Destination.Queue(deadLetterQueue));
        var deadLetters = NewLog($"dead-letter queue {deadLetterQueue}");
        await scope.ConsumeAsync(queue, EchoResponder(Transport), new ConsumerOptions { Retry = Fixture.FastRetry });
        await scope.ConsumeAsync(deadLetterQueue, deadLetters.Handler);
        var request = Fixture.NewMessage();

        await Transport.Queue.SendAsync(queue, request, Ct);

        await deadLetters.AssertReceivesExactlyAsync([request.Id], Fixture);
        var reason = deadLetters.Deliveries[0].Envelope.Headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterReason) ?? "";
        Assert.Contains("ReplyTo", reason, StringComparison.Ordinal);
        Assert.Equal("1", deadLetters.Deliveries[0].Envelope.Headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterAttempts));
    }

    private MessageHandler EchoResponder(ITransport transport) => (request, cancellationToken) =>
        transport.Queue.ReplyAsync(request, Fixture.NewMessage("conformance.pong") with { Body = request.Envelope.Body }, cancellationToken);
}

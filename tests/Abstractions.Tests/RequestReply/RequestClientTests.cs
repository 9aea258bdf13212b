using Messaging.Adapters.InMemory;

namespace Messaging.Adapters.Tests.RequestReply;

public sealed class RequestClientTests
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_gets_the_reply_correlated_to_it()
    {
        await using var transport = new InMemoryTransport();
        await using var responder = await transport.Queue.ConsumeAsync(
            "prices",
            (request, ct) => transport.Queue.ReplyAsync(request, new Envelope("price.answer", "{\"price\":3}"u8.ToArray()), ct),
            cancellationToken: TestToken);
        await using var client = await RequestClient.StartAsync(transport, "replies", TestToken);
        var request = new Envelope("price.query", "{\"sku\":\"a\"}"u8.ToArray());

        var reply = await client.RequestAsync("prices", request, WaitLimit, TestToken);

        Assert.StartsWith("replies.", client.ReplyQueue, StringComparison.Ordinal);
        Assert.Equal(client.ReplyQueue, reply.Source);
        Assert.Equal("price.answer", reply.Envelope.Type);
        Assert.Equal(request.Id, reply.Envelope.CorrelationId);
        Assert.Equal(request.Id, reply.Envelope.CausationId);
    }

    [Fact]
    public async Task Concurrent_requests_each_get_their_own_reply()
    {
        await using var transport = new InMemoryTransport();
        await using var responder = await transport.Queue.ConsumeAsync(
            "echo",
            (request, ct) => transport.Queue.ReplyAsync(request, new Envelope("echo.answer", request.Envelope.Body), ct),
            new ConsumerOptions { MaxInFlight = 8 },
            TestToken);
        await using var client = await RequestClient.StartAsync(transport, cancellationToken: TestToken);
        var requests = Enumerable.Range(0, 20).Select(i => new Envelope("echo", BitConverter.GetBytes(i))).ToArray();

        var replies = await Task.WhenAll(requests.Select(r => client.RequestAsync("echo", r, WaitLimit, TestToken)));

        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(requests[i].Id, replies[i].Envelope.CorrelationId);
            Assert.Equal(i, BitConverter.ToInt32(replies[i].Envelope.Body.Span));
        }
    }

    [Fact]
    public async Task A_request_nobody_answers_times_out_with_its_id_queue_and_timeout()
    {
        await using var transport = new InMemoryTransport();
        await using var client = await RequestClient.StartAsync(transport, cancellationToken: TestToken);
        var request = new Envelope("price.query", ReadOnlyMemory<byte>.Empty);
        var timeout = TimeSpan.FromMilliseconds(200);

        var ex = await Assert.ThrowsAsync<RequestTimeoutException>(() => client.RequestAsync("nobody-home", request, timeout, TestToken));

        Assert.Equal(request.Id, ex.CorrelationId);
        Assert.Equal("nobody-home", ex.Queue);
        Assert.Equal(timeout, ex.Timeout);
        Assert.Contains("200 ms", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_disposed_client_refuses_new_requests()
    {
        await using var transport = new InMemoryTransport();
        var client = await RequestClient.StartAsync(transport, cancellationToken: TestToken);

        await client.DisposeAsync();
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.RequestAsync("prices", new Envelope("q", ReadOnlyMemory<byte>.Empty), WaitLimit, TestToken));
    }

    [Fact]
    public async Task Disposing_the_client_fails_the_requests_still_waiting()
    {
        await using var transport = new InMemoryTransport();
        var client = await RequestClient.StartAsync(transport, cancellationToken: TestToken);
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var silent = await transport.Queue.ConsumeAsync("silent", (_, _) => { received.TrySetResult(); return ValueTask.CompletedTask; }, cancellationToken: TestToken);

        var waiting = client.RequestAsync("silent", new Envelope("q", ReadOnlyMemory<byte>.Empty), TimeSpan.FromMinutes(5), TestToken);
        await received.Task.WaitAsync(WaitLimit, TestToken);
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(WaitLimit, TestToken));
    }

    [Fact]
    public async Task The_reply_queue_prefix_must_be_a_valid_queue_name()
    {
        await using var transport = new InMemoryTransport();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => RequestClient.StartAsync(transport, "bad prefix", TestToken));

        Assert.Equal("replyQueuePrefix", ex.ParamName);
    }
}

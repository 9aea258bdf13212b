using System.Diagnostics;
using System.Text.Json;
using Messaging.Adapters.RabbitMq.Tests.Support;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// A request client's reply queue is temporary: a classic queue with <c>x-expires</c> and no dead-letter queue, which
/// the broker removes once its owner is gone, and which a reply sent after that never brings back.
/// </summary>
public sealed class TemporaryQueueTests
{
    private static readonly TimeSpan Expiry = TimeSpan.FromSeconds(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_broker_removes_the_reply_queue_of_a_requester_that_died_and_a_late_reply_does_not_bring_it_back()
    {
        var requester = await TestBroker.ConnectAsync(o => o.TemporaryQueueExpiry = Expiry);
        await using var responder = await TestBroker.ConnectAsync();
        var requests = TestBroker.UniqueName("temporary-requests");
        string? replyQueue = null;
        try
        {
            await using var answering = await responder.Queue.ConsumeAsync(
                requests,
                (request, ct) => responder.Queue.ReplyAsync(request, new Envelope("pong", request.Envelope.Body), ct),
                cancellationToken: Ct);

            // Never disposed: its process "dies" with the transport below, leaving the queue to the broker.
            var client = await RequestClient.StartAsync(requester, "replies", Ct);
            replyQueue = client.ReplyQueue;
            Assert.True(DestinationNames.IsTemporaryQueue(replyQueue), replyQueue);
            var reply = await client.RequestAsync(requests, new Envelope("ping", "1"u8.ToArray()), TimeSpan.FromSeconds(15), Ct);
            Assert.Equal("pong", reply.Envelope.Type);

            var definition = await QueueDefinitionAsync(replyQueue);
            Assert.NotNull(definition);
            Assert.Equal("classic", definition.Value.GetProperty("type").GetString());
            var arguments = Arguments(definition.Value);
            Assert.Equal((long)Expiry.TotalMilliseconds, arguments["x-expires"].GetInt64());
            Assert.False(arguments.ContainsKey("x-dead-letter-exchange"), $"The reply queue dead-letters: {definition}");
            Assert.False(arguments.ContainsKey("x-delivery-limit"), $"The reply queue has a delivery limit: {definition}");

            await requester.DisposeAsync();
            var started = Stopwatch.GetTimestamp();
            while (await ExistsAsync(replyQueue))
            {
                Assert.True(Stopwatch.GetElapsedTime(started) < Expiry + TimeSpan.FromSeconds(15), $"{replyQueue} still exists {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s after its owner died (x-expires {Expiry.TotalSeconds} s).");
                await Task.Delay(100, Ct);
            }

            TestContext.Current.TestOutputHelper?.WriteLine($"{replyQueue} was removed {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s after its owner's connection closed (x-expires {Expiry.TotalSeconds} s).");

            // The responder answers a request of the dead requester: the broker drops the reply, nothing is declared.
            var late = new ReceivedMessage(new Envelope("ping", "2"u8.ToArray()) { ReplyTo = replyQueue }, requests);
            await responder.Queue.ReplyAsync(late, new Envelope("pong", "2"u8.ToArray()), Ct);
            Assert.False(await ExistsAsync(replyQueue), $"The late reply declared {replyQueue} again.");
            Assert.DoesNotContain(DestinationNames.DeadLetterQueue(replyQueue), await TestBroker.QueueNamesAsync());
        }
        finally
        {
            await requester.DisposeAsync();
            await responder.Topology.DeleteAsync(Destination.Queue(requests), CancellationToken.None);
            if (replyQueue is not null)
            {
                await responder.Topology.DeleteAsync(Destination.Queue(replyQueue), CancellationToken.None);
            }
        }
    }

    [Fact]
    public async Task A_message_a_temporary_queue_cannot_handle_is_dropped_without_a_dead_letter_queue()
    {
        await using var transport = await TestBroker.ConnectAsync(o => o.TemporaryQueueExpiry = Expiry);
        var queue = DestinationNames.NewTemporaryQueue("tests");
        try
        {
            await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
            var handled = new List<string>();
            var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var consumer = await transport.Queue.ConsumeAsync(queue, (message, _) =>
            {
                lock (handled)
                {
                    handled.Add(message.Envelope.Id);
                }

                if (message.Envelope.Id == "fails")
                {
                    throw new InvalidOperationException("tests: cannot handle it");
                }

                second.TrySetResult();
                return ValueTask.CompletedTask;
            }, new ConsumerOptions { Retry = RetryPolicy.None, MaxInFlight = 1 }, Ct);

            await transport.Queue.SendAsync(queue, new Envelope("t", "x"u8.ToArray()) { Id = "fails" }, Ct);
            await transport.Queue.SendAsync(queue, new Envelope("t", "y"u8.ToArray()) { Id = "after" }, Ct);
            await second.Task.WaitAsync(TimeSpan.FromSeconds(15), Ct);

            Assert.Equal(["fails", "after"], handled);
            Assert.DoesNotContain(DestinationNames.DeadLetterQueue(queue), await TestBroker.QueueNamesAsync());
            Assert.Equal(0u, await MessageCountAsync(queue));
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    private static async Task<JsonElement?> QueueDefinitionAsync(string queue)
    {
        var json = await TestBroker.RabbitmqctlAsync("list_queues", "--silent", "name", "durable", "type", "arguments", "--formatter", "json");
        foreach (var entry in JsonDocument.Parse(json).RootElement.EnumerateArray())
        {
            if (entry.GetProperty("name").GetString() == queue)
            {
                return entry.Clone();
            }
        }

        return null;
    }

    /// <summary>rabbitmqctl's arguments: <c>[[name, type, value], ...]</c>.</summary>
    private static Dictionary<string, JsonElement> Arguments(JsonElement definition) =>
        definition.GetProperty("arguments").EnumerateArray().ToDictionary(a => a[0].GetString()!, a => a[2].Clone());

    /// <summary>Asks rabbitmqctl: a passive declare would count as a use of the queue and renew its lease.</summary>
    private static async Task<bool> ExistsAsync(string queue) => (await TestBroker.QueueNamesAsync()).Contains(queue);

    private static async Task<uint> MessageCountAsync(string queue)
    {
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        return (await channel.QueueDeclarePassiveAsync(queue, Ct)).MessageCount;
    }
}

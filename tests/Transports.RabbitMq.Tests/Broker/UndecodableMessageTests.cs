using System.Collections.Concurrent;
using System.Text;
using Messaging.Adapters.RabbitMq.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// A message whose properties RabbitMQ.Client cannot decode (published by a foreign client, here an AMQP decimal with
/// scale 29) drops its consumer's connection before any code sees it. It must be set aside while the messages behind
/// it keep flowing, and other queues' consumers must not notice.
/// </summary>
public sealed class UndecodableMessageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_undecodable_message_is_dead_lettered_by_the_delivery_limit_and_the_queue_and_other_queues_keep_flowing()
    {
        using var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await using var transport = await TestBroker.ConnectAsync(o => o.DeliveryLimit = 2, loggerFactory);
        var queue = TestBroker.UniqueName("undecodable");
        var other = TestBroker.UniqueName("bystander");
        try
        {
            await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
            await transport.Topology.EnsureAsync(Destination.Queue(other), Ct);

            // A bystander queue consumed by the same transport, busy before, during and after.
            var otherSeen = new ConcurrentDictionary<string, int>();
            await using var bystander = await transport.Queue.ConsumeAsync(other, (message, _) =>
            {
                otherSeen.AddOrUpdate(message.Envelope.Id, 1, (_, n) => n + 1);
                return ValueTask.CompletedTask;
            }, cancellationToken: Ct);
            var otherSent = new List<string>();
            for (var i = 0; i < 5; i++)
            {
                var message = new Envelope("tests.bystander", new byte[] { 1 });
                otherSent.Add(message.Id);
                await transport.Queue.SendAsync(other, message, Ct);
            }

            // One good message, the bad one, then four more good ones: a foreign publisher at the frame level.
            string[] good = ["good-1", "good-2", "good-3", "good-4", "good-5"];
            await using (var raw = await RawAmqpClient.ConnectAsync(TestBroker.Uri, Ct))
            {
                await raw.PublishAsync(string.Empty, queue, good[0], [RawAmqpClient.TextHeader("origin", "raw")], "first"u8.ToArray(), Ct);
                await raw.PublishAsync(string.Empty, queue, "bad", [RawAmqpClient.DecimalHeader("amount", 29, 12345)], "bad"u8.ToArray(), Ct);
                foreach (var id in good[1..])
                {
                    await raw.PublishAsync(string.Empty, queue, id, [RawAmqpClient.TextHeader("origin", "raw")], Encoding.UTF8.GetBytes(id), Ct);
                }
            }

            var seen = new ConcurrentDictionary<string, int>();
            var allGood = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var consumer = await transport.Queue.ConsumeAsync(queue, (message, _) =>
            {
                seen.AddOrUpdate(message.Envelope.Id, 1, (_, n) => n + 1);
                if (good.All(seen.ContainsKey))
                {
                    allGood.TrySetResult();
                }

                return ValueTask.CompletedTask;
            }, cancellationToken: Ct);

            // More bystander traffic while the bad message drops its consumer's connection.
            for (var i = 0; i < 5; i++)
            {
                var message = new Envelope("tests.bystander", new byte[] { 2 });
                otherSent.Add(message.Id);
                await transport.Queue.SendAsync(other, message, Ct);
            }

            await allGood.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);

            // The bad message is in the dead-letter queue, set aside by the broker's delivery limit; no good one is.
            var deadLetters = queue + DestinationNames.DeadLetterSuffix;
            byte[]? deadLetter = null;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            await using (var raw = await RawAmqpClient.ConnectAsync(TestBroker.Uri, Ct))
            {
                while (deadLetter is null && DateTime.UtcNow < deadline)
                {
                    deadLetter = await raw.GetRawPropertiesAsync(deadLetters, Ct);
                    if (deadLetter is null)
                    {
                        await Task.Delay(100, Ct);
                    }
                }

                Assert.NotNull(deadLetter);
                var text = Encoding.UTF8.GetString(deadLetter);
                Assert.Contains("bad", text, StringComparison.Ordinal);
                Assert.Contains("delivery_limit", text, StringComparison.Ordinal);
                Assert.Null(await raw.GetRawPropertiesAsync(deadLetters, Ct));
            }

            Assert.DoesNotContain("bad", seen.Keys);

            // Each good message handled, at most once more than once (only the first drop can return it).
            Assert.All(good, id => Assert.InRange(seen[id], 1, 2));

            // The bystander saw every message exactly once and never lost its session.
            await WaitUntilAsync(() => otherSent.All(otherSeen.ContainsKey));
            Assert.All(otherSent, id => Assert.Equal(1, otherSeen[id]));
            Assert.DoesNotContain(logs.Lines, line => line.Contains($"Consumer of {other} lost its session", StringComparison.Ordinal));
            Assert.Contains(logs.Lines, line => line.Contains($"A message in {queue} has properties RabbitMQ.Client cannot decode", StringComparison.Ordinal));
            Assert.DoesNotContain(logs.Lines, line => line.Contains(TestBroker.Credentials, StringComparison.Ordinal));
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Queue(other), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_queue_declared_before_the_delivery_limit_is_used_as_it_is_with_a_warning()
    {
        using var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs));
        await using var transport = await TestBroker.ConnectAsync(configure: null, loggerFactory);
        var queue = TestBroker.UniqueName("legacy");
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);

        // The definition earlier versions gave every queue and its dead-letter queue.
        foreach (var name in new[] { queue, queue + DestinationNames.DeadLetterSuffix })
        {
            await channel.QueueDeclareAsync(name, true, false, false, new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-dead-letter-exchange"] = "messaging.dead-letter",
                ["x-dead-letter-routing-key"] = name,
            }, cancellationToken: Ct);
        }

        try
        {
            var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var consumer = await transport.Queue.ConsumeAsync(queue, (message, _) =>
            {
                received.TrySetResult(message.Envelope.Id);
                return ValueTask.CompletedTask;
            }, cancellationToken: Ct);
            var sent = new Envelope("tests.legacy", new byte[] { 1 });
            await transport.Queue.SendAsync(queue, sent, Ct);

            Assert.Equal(sent.Id, await received.Task.WaitAsync(TimeSpan.FromSeconds(15), Ct));
            Assert.Contains(logs.Lines, line => line.Contains($"Queue {queue} was declared without x-delivery-limit", StringComparison.Ordinal));
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }

        Assert.True(condition(), "timed out");
    }
}

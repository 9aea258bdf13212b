using System.Collections.Concurrent;
using System.Diagnostics;
using Messaging.Adapters.RabbitMq.Tests.Support;
using Messaging.Adapters.RabbitMq.Topology;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// Delayed retries wait in a fixed set of shared delay levels, not in a queue per (queue × delay), and each comes back
/// to its own queue after at least its delay; a retry whose queue was deleted meanwhile is kept, not dropped.
/// </summary>
public sealed class DelayedRetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Retries_of_three_queues_with_three_delays_share_the_delay_levels_and_each_comes_back_to_its_queue()
    {
        await using var transport = await TestBroker.ConnectAsync();

        // Delays between levels, so that the rounding up is what is measured: 700 ms → 1 s, 1.5 s → 2 s, 3 s → 5 s.
        var cases = new[]
        {
            new RetryCase(TestBroker.UniqueName("delay-a"), TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(1)),
            new RetryCase(TestBroker.UniqueName("delay-b"), TimeSpan.FromMilliseconds(1500), TimeSpan.FromSeconds(2)),
            new RetryCase(TestBroker.UniqueName("delay-c"), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5)),
        };
        var sent = cases.ToDictionary(c => c.Queue, c => Enumerable.Range(0, 2).Select(i => new Envelope("tests.delayed", new byte[] { (byte)i })).ToList());
        var total = sent.Values.Sum(m => m.Count);
        var failedAt = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var returned = new ConcurrentDictionary<string, (string Queue, TimeSpan Waited, int Attempt)>(StringComparer.Ordinal);
        var allBack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumers = new List<IConsumer>();
        try
        {
            foreach (var retry in cases)
            {
                var policy = new RetryPolicy { MaxAttempts = 2, ImmediateRetries = 0, InitialDelay = retry.Delay, MaxDelay = retry.Delay };
                consumers.Add(await transport.Queue.ConsumeAsync(
                    retry.Queue,
                    (message, _) =>
                    {
                        var id = message.Envelope.Id;
                        if (message.Attempt == 1)
                        {
                            failedAt.TryAdd(id, Stopwatch.GetTimestamp());
                            throw new InvalidOperationException("tests: fails once, to be retried later");
                        }

                        returned.TryAdd(id, (message.Source, Stopwatch.GetElapsedTime(failedAt[id]), message.Attempt));
                        if (returned.Count == total)
                        {
                            allBack.TrySetResult();
                        }

                        return ValueTask.CompletedTask;
                    },
                    new ConsumerOptions { Retry = policy },
                    Ct));
            }

            foreach (var retry in cases)
            {
                await transport.Queue.SendBatchAsync(retry.Queue, sent[retry.Queue], Ct);
            }

            await allBack.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

            foreach (var retry in cases)
            {
                var ids = sent[retry.Queue].Select(m => m.Id).Order(StringComparer.Ordinal).ToList();
                var back = returned.Where(r => r.Value.Queue == retry.Queue).Select(r => r.Key).Order(StringComparer.Ordinal).ToList();
                Assert.Equal(ids, back);
                foreach (var id in ids)
                {
                    var (_, waited, attempt) = returned[id];
                    Assert.Equal(2, attempt);

                    // The level's TTL runs from the retry's publish, after the failed attempt began: a lower bound
                    // (less a tick of the broker's timer). The upper bound only says "roughly".
                    Assert.True(waited >= retry.Level - TimeSpan.FromMilliseconds(20), $"{id} in {retry.Queue} came back after {waited.TotalMilliseconds:0} ms; its delay {retry.Delay.TotalMilliseconds:0} ms waits the {retry.Level.TotalMilliseconds:0} ms level.");
                    Assert.True(waited < retry.Level + TimeSpan.FromSeconds(5), $"{id} in {retry.Queue} came back after {waited.TotalMilliseconds:0} ms, far beyond its {retry.Level.TotalMilliseconds:0} ms level.");
                }
            }

            var queues = await TestBroker.QueueNamesAsync();
            TestContext.Current.TestOutputHelper?.WriteLine(string.Join(Environment.NewLine, queues.Where(q => q.StartsWith("messaging.", StringComparison.Ordinal) || cases.Any(c => q.StartsWith(c.Queue, StringComparison.Ordinal)))));
            foreach (var retry in cases)
            {
                // The queue and its dead-letter queue: no retry queue of its own.
                Assert.Equal(
                    [retry.Queue, DestinationNames.DeadLetterQueue(retry.Queue)],
                    queues.Where(q => q.StartsWith(retry.Queue, StringComparison.Ordinal)).Order(StringComparer.Ordinal));
            }

            var delayQueues = queues.Where(q => q.StartsWith(TopologyNames.DelayLevelPrefix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
            var fixedSet = DelayLevels.All.Select(l => l.Name).Append(TopologyNames.DelayUnroutable).ToHashSet(StringComparer.Ordinal);
            Assert.Subset(fixedSet, delayQueues);
            Assert.Subset(delayQueues, cases.Select(c => DelayLevels.For(c.Delay).Name).ToHashSet(StringComparer.Ordinal));
        }
        finally
        {
            foreach (var consumer in consumers)
            {
                await consumer.DisposeAsync();
            }

            foreach (var retry in cases)
            {
                await transport.Topology.DeleteAsync(Destination.Queue(retry.Queue), CancellationToken.None);
            }
        }
    }

    [Fact]
    public async Task A_retry_whose_queue_was_deleted_meanwhile_is_kept_in_the_unroutable_queue()
    {
        await using var transport = await TestBroker.ConnectAsync();
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        var queue = TestBroker.UniqueName("delay-gone");
        var message = new Envelope("tests.orphaned", new byte[] { 9 });
        await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);

        await transport.PublishRetryAsync(queue, message, TimeSpan.FromMilliseconds(500), nativeHeaders: null, Ct);
        await transport.Topology.DeleteAsync(Destination.Queue(queue), Ct);

        // The unroutable queue is shared: wait for this message among whatever else is there, leaving the rest.
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new RabbitMQ.Client.Events.AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, args) =>
        {
            if (args.BasicProperties.MessageId == message.Id)
            {
                await channel.BasicAckAsync(args.DeliveryTag, false, CancellationToken.None);
                found.TrySetResult(args.RoutingKey);
            }
        };
        var tag = await channel.BasicConsumeAsync(TopologyNames.DelayUnroutable, false, consumer, Ct);
        var routingKey = await found.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await channel.BasicCancelAsync(tag, cancellationToken: Ct);

        // It keeps its queue as routing key, so it can be sent back there once the queue exists again.
        Assert.Equal(queue, routingKey);
    }

    private sealed record RetryCase(string Queue, TimeSpan Delay, TimeSpan Level);
}

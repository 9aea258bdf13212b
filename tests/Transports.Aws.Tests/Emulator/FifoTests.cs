using System.Collections.Concurrent;
using Amazon.SQS.Model;
using Messaging.Adapters.Aws.Tests.Support;

namespace Messaging.Adapters.Aws.Tests.Emulator;

/// <summary>
/// FIFO destinations (a name with a <c>fifo</c> segment): the key is the message group, each key's messages are handled
/// one at a time in order (a delayed retry holding back the rest of its key), keys run concurrently, the message id
/// deduplicates, and a FIFO topic fans out to FIFO subscription queues.
/// </summary>
public sealed class FifoTests
{
    private const int Keys = 4;
    private const int PerKey = 15;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_FIFO_queue_keeps_each_keys_order_across_a_delayed_retry_and_runs_keys_concurrently()
    {
        await using var transport = EmulatorTransport.Create();
        var queue = EmulatorTransport.UniqueName("ordered") + ".fifo";
        try
        {
            var messages = Keyed();
            var failOnce = messages.Where((_, i) => i / Keys == 3).Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
            var checker = new KeyOrder();
            var failures = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
            await using var consumer = await transport.Queue.ConsumeAsync(queue, checker.Handler(m =>
            {
                // Fails once at once and once more, so the third attempt is a delayed retry (the visibility timeout).
                if (failOnce.Contains(m.Envelope.Id) && failures.AddOrUpdate(m.Envelope.Id, 1, (_, n) => n + 1) <= 2)
                {
                    throw new InvalidOperationException("fails twice");
                }
            }), new ConsumerOptions
            {
                MaxInFlight = 8,
                Ordering = MessageOrdering.ByKey,
                Retry = new RetryPolicy { MaxAttempts = 4, ImmediateRetries = 1, InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200) },
            }, Ct);

            foreach (var batch in messages.Chunk(10))
            {
                await transport.Queue.SendBatchAsync(queue, batch, Ct);
            }

            await checker.WaitForAsync(messages.Count, TimeSpan.FromSeconds(60));
            checker.AssertOrdered(messages);
            Assert.All(failOnce, id => Assert.Equal(3, checker.AttemptOf(id)));
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_FIFO_topic_fans_out_to_a_FIFO_subscription_in_order_and_the_message_id_deduplicates()
    {
        await using var transport = EmulatorTransport.Create();
        var topic = EmulatorTransport.UniqueName("prices") + ".fifo";
        try
        {
            await transport.Topology.EnsureAsync(Destination.ForSubscription(topic, "audit"), Ct);
            var messages = Keyed();
            var checker = new KeyOrder();
            await using var consumer = await transport.Subscriber.SubscribeAsync(topic, "audit", checker.Handler(), new SubscriptionOptions { MaxInFlight = 8, Ordering = MessageOrdering.ByKey }, Ct);

            foreach (var batch in messages.Chunk(10))
            {
                await transport.Publisher.PublishBatchAsync(topic, batch, Ct);
            }

            // Published again (a lost confirm, say): the same ids within 5 minutes are deduplicated by SNS/SQS FIFO.
            await transport.Publisher.PublishAsync(topic, messages[0], Ct);

            await checker.WaitForAsync(messages.Count, TimeSpan.FromSeconds(60));
            await Task.Delay(1000, Ct);
            checker.AssertOrdered(messages);
            Assert.Equal(messages.Count, checker.Handled);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.ForSubscription(topic, "audit"), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Topic(topic), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_dead_letter_redriven_twice_within_the_deduplication_interval_is_neither_dropped_nor_lost()
    {
        // SQS FIFO drops a message whose deduplication id it saw in the last 5 minutes. The message id is that id, so a
        // redrive (the same id again) and a second dead letter of the same message would both vanish without
        // RedriveLedger and the dead letter's own deduplication id.
        var deduplicationIds = new ConcurrentQueue<string>();
        await using var transport = EmulatorTransport.Create(o => o.Fifo = true, intercept: (_, args, real) =>
        {
            if (args is [SendMessageRequest request, ..])
            {
                deduplicationIds.Enqueue(request.MessageDeduplicationId);
            }

            return real();
        });
        var queue = EmulatorTransport.UniqueName("redrive");
        var deadLetterQueue = DestinationNames.DeadLetterQueue(queue);
        try
        {
            var message = new Envelope("fifo.redrive", "{}"u8.ToArray()) { Key = "customer-1" };
            var attempts = 0;
            var handled = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var consumer = await transport.Queue.ConsumeAsync(queue, (received, _) =>
            {
                // Fails on its first delivery and on its first redrive; the second redrive is handled.
                if (Interlocked.Increment(ref attempts) <= 2)
                {
                    throw new InvalidOperationException("not fixed yet");
                }

                handled.TrySetResult(received);
                return ValueTask.CompletedTask;
            }, new ConsumerOptions { Retry = RetryPolicy.None, Ordering = MessageOrdering.ByKey }, Ct);
            await using var redrive = await DeadLetterRedrive.StartAsync(transport.Queue, deadLetterQueue, Ct);

            await transport.Queue.SendAsync(queue, message, Ct);

            var delivered = await handled.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
            Assert.Equal(message.Id, delivered.Envelope.Id);
            Assert.Equal("customer-1", delivered.Envelope.Key);
            Assert.Equal(3, Volatile.Read(ref attempts));

            // Sent, dead-lettered, redriven, dead-lettered again, redriven again: five sends, five deduplication ids.
            var sent = deduplicationIds.ToList();
            Assert.Equal(5, sent.Count);
            Assert.Equal(5, sent.Distinct(StringComparer.Ordinal).Count());
            Assert.Equal(message.Id, sent[0]);
            Assert.Equal(2, sent.Count(id => id.StartsWith("dead-letter-", StringComparison.Ordinal)));
            Assert.Equal(2, sent.Count(id => id.StartsWith("redrive-", StringComparison.Ordinal)));
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(deadLetterQueue), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    private static List<Envelope> Keyed() =>
        [.. Enumerable.Range(0, Keys * PerKey).Select(i => new Envelope("fifo.test", "m"u8.ToArray()) { Key = $"key-{i % Keys}" })];

    /// <summary>Records handling per key: order, overlap within a key, concurrency across keys, attempts.</summary>
    private sealed class KeyOrder
    {
        private readonly ConcurrentQueue<(string Key, string Id)> _handled = new();
        private readonly ConcurrentDictionary<string, int> _running = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<string> _overlaps = new();
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _concurrent;
        private int _maxConcurrent;
        private int _expected = int.MaxValue;

        public int Handled => _handled.Count;

        public int AttemptOf(string id) => _attempts[id];

        public MessageHandler Handler(Action<ReceivedMessage>? before = null) => async (message, ct) =>
        {
            var key = message.Envelope.Key!;
            if (_running.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
            {
                _overlaps.Enqueue($"{message.Envelope.Id} started while another message of {key} ran");
            }

            var now = Interlocked.Increment(ref _concurrent);
            InterlockedMax(ref _maxConcurrent, now);
            try
            {
                await Task.Delay(5, ct);
                before?.Invoke(message);
                _attempts[message.Envelope.Id] = message.Attempt;
                _handled.Enqueue((key, message.Envelope.Id));
                if (_handled.Count >= Volatile.Read(ref _expected))
                {
                    _done.TrySetResult();
                }
            }
            finally
            {
                Interlocked.Decrement(ref _concurrent);
                _running.AddOrUpdate(key, 0, (_, n) => n - 1);
            }
        };

        public async Task WaitForAsync(int count, TimeSpan timeout)
        {
            Volatile.Write(ref _expected, count);
            if (_handled.Count >= count)
            {
                return;
            }

            try
            {
                await _done.Task.WaitAsync(timeout, TestContext.Current.CancellationToken);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"only {_handled.Count} of {count} messages were handled within {timeout}");
            }
        }

        public void AssertOrdered(IReadOnlyList<Envelope> sent)
        {
            Assert.True(_overlaps.IsEmpty, string.Join("; ", _overlaps.Take(3)));
            foreach (var key in sent.Select(m => m.Key!).Distinct())
            {
                Assert.Equal(sent.Where(m => m.Key == key).Select(m => m.Id), _handled.Where(h => h.Key == key).Select(h => h.Id));
            }

            Assert.True(_maxConcurrent > 1, $"keys should run concurrently; at most {_maxConcurrent} ran at once");
        }

        private static void InterlockedMax(ref int target, int value)
        {
            var current = Volatile.Read(ref target);
            while (value > current && Interlocked.CompareExchange(ref target, value, current) != current)
            {
                current = Volatile.Read(ref target);
            }
        }
    }
}

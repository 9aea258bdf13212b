using System.Collections.Concurrent;
using Messaging.Adapters.InMemory;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Tests.Transport;

public sealed class ConsumerEngineTests
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private static readonly TransportCapabilities Everything = new()
    {
        OrderingByKey = true,
        DelayedDelivery = true,
        Streams = true,
        MaxMessageSize = 1024,
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ConsumerEngineSettings Settings(DeliveryLanes lanes = DeliveryLanes.None, int maxInFlight = 16, TransportCapabilities? capabilities = null) => new()
    {
        Source = "source",
        Transport = "Test",
        Capabilities = capabilities ?? Everything,
        MaxInFlight = maxInFlight,
        Lanes = lanes,
        Ordering = lanes == DeliveryLanes.ByKey ? MessageOrdering.ByKey : MessageOrdering.None,
    };

    [Fact]
    public async Task A_dead_letter_that_cannot_be_stored_releases_the_message_and_its_key_moves_on()
    {
        // Before the engine, an unexpected failure while carrying out an outcome escaped a fire-and-forget task and
        // the key's lane never completed: every later message of the key stalled.
        var receiver = new ScriptedReceiver { OnDeadLetter = _ => throw new InvalidOperationException("the dead-letter exchange is gone") };
        var handled = new ConcurrentQueue<string>();
        var secondHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var engine = new ConsumerEngine<ScriptedReceiver.Item>(receiver, (m, _) =>
        {
            handled.Enqueue(m.Envelope.Id);
            if (m.Envelope.Id == "k#0")
            {
                throw new InvalidOperationException("poison");
            }

            secondHandled.TrySetResult();
            return ValueTask.CompletedTask;
        }, RetryPolicy.None, Settings(DeliveryLanes.ByKey));
        await engine.StartAsync(Ct);

        receiver.Push("k#0", "k");
        receiver.Push("k#1", "k");
        await secondHandled.Task.WaitAsync(WaitLimit, Ct);
        await engine.StopAsync(Ct);

        Assert.Equal(["k#0", "k#1"], handled);
        Assert.Equal(["release(1):k#0", "ack:k#1"], receiver.Settled);
    }

    [Fact]
    public async Task Messages_of_one_key_run_one_at_a_time_in_order_and_other_keys_beside_them()
    {
        var receiver = new ScriptedReceiver();
        var running = new ConcurrentDictionary<string, int>();
        var order = new ConcurrentQueue<string>();
        var overlaps = 0;
        var done = new CountdownEvent(30);
        await using var engine = new ConsumerEngine<ScriptedReceiver.Item>(receiver, async (m, ct) =>
        {
            var key = m.Envelope.Key!;
            if (running.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            order.Enqueue(m.Envelope.Id);
            await Task.Delay(1, ct);
            running.AddOrUpdate(key, 0, (_, n) => n - 1);
            done.Signal();
        }, RetryPolicy.None, Settings(DeliveryLanes.ByKey));
        await engine.StartAsync(Ct);

        for (var i = 0; i < 10; i++)
        {
            foreach (var key in new[] { "a", "b", "c" })
            {
                receiver.Push($"{key}#{i}", key);
            }
        }

        Assert.True(done.Wait(WaitLimit, Ct));
        await engine.StopAsync(Ct);

        Assert.Equal(0, overlaps);
        foreach (var key in new[] { "a", "b", "c" })
        {
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{key}#{i}"), order.Where(id => id.StartsWith(key, StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task Stopping_releases_what_waits_in_lanes_in_the_order_received_and_then_closes()
    {
        var receiver = new ScriptedReceiver();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var engine = new ConsumerEngine<ScriptedReceiver.Item>(receiver, async (m, _) =>
        {
            started.TrySetResult();
            await proceed.Task;
        }, RetryPolicy.None, Settings(DeliveryLanes.ByKey));
        await engine.StartAsync(Ct);
        receiver.Push("k#0", "k");
        receiver.Push("k#1", "k");
        receiver.Push("k#2", "k");
        await started.Task.WaitAsync(WaitLimit, Ct);

        var stop = engine.StopAsync(Ct);
        receiver.Push("k#3", "k");
        Assert.False(stop.IsCompleted);
        proceed.SetResult();
        await stop.WaitAsync(WaitLimit, Ct);
        await engine.Completion.WaitAsync(WaitLimit, Ct);

        // k#3 arrived after the stop began: released at once, on its own worker, never handled.
        Assert.Contains("release(0):k#3", receiver.Settled);
        Assert.Equal(["ack:k#0", "release(0):k#1", "release(0):k#2"], receiver.Settled.Where(s => s != "release(0):k#3"));
        Assert.Equal(4, receiver.Settled.Count);
        Assert.True(receiver.Closed);
    }

    [Fact]
    public async Task A_pulling_receiver_is_never_asked_for_more_than_the_free_credit()
    {
        var receiver = new PullingReceiver(total: 50);
        var inFlight = 0;
        var most = 0;
        var handled = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var engine = new ConsumerEngine<ScriptedReceiver.Item>(receiver, async (_, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            await Task.Delay(2, ct);
            Interlocked.Decrement(ref inFlight);
            if (Interlocked.Increment(ref handled) == 50)
            {
                all.TrySetResult();
            }
        }, RetryPolicy.None, Settings(maxInFlight: 4));
        await engine.StartAsync(Ct);

        await all.Task.WaitAsync(WaitLimit, Ct);
        await engine.StopAsync(Ct);

        Assert.InRange(most, 1, 4);
        Assert.All(receiver.Asked, asked => Assert.InRange(asked.Max, 1, 4));
        Assert.All(receiver.Asked, asked => Assert.True(asked.Max + asked.Outstanding <= 4, $"asked for {asked.Max} with {asked.Outstanding} outstanding"));
        Assert.Equal(50, receiver.Settled.Count(s => s.StartsWith("ack:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_busy_consumer_asks_a_receiver_that_prefers_batches_for_full_batches()
    {
        // 64 handlers of about 1 ms free their credit one at a time: without waiting for the preferred batch, nearly
        // every request would ask for one or two messages.
        const int Total = 2_000;
        var receiver = new PullingReceiver(total: Total) { Preferred = 10 };
        var handled = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var engine = new ConsumerEngine<ScriptedReceiver.Item>(receiver, async (_, ct) =>
        {
            await Task.Delay(1, ct);
            if (Interlocked.Increment(ref handled) == Total)
            {
                all.TrySetResult();
            }
        }, RetryPolicy.None, Settings(maxInFlight: 64));
        await engine.StartAsync(Ct);

        await all.Task.WaitAsync(WaitLimit, Ct);
        await engine.StopAsync(Ct);

        var asked = receiver.Asked.Where(a => a.Max < Total).Select(a => Math.Min(a.Max, 10)).ToList();
        var average = asked.Average();
        Assert.True(average >= 8, $"requests asked for {average:0.0} messages on average (of at most 10); {asked.Count(a => a < 10)} of {asked.Count} asked for fewer than 10");
        Assert.All(receiver.Asked, a => Assert.True(a.Max + a.Outstanding <= 64, $"asked for {a.Max} with {a.Outstanding} outstanding"));
    }

    [Fact]
    public async Task A_leasing_receiver_has_its_lease_renewed_while_the_handler_runs_and_not_after()
    {
        var receiver = new LeasingReceiver();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var engine = new ConsumerEngine<ScriptedReceiver.Item>(receiver, async (_, _) => await release.Task, RetryPolicy.None, Settings());
        await engine.StartAsync(Ct);

        receiver.Push("slow");
        await receiver.ThreeRenewals.Task.WaitAsync(WaitLimit, Ct);
        release.SetResult();
        await engine.StopAsync(Ct);
        var renewals = receiver.Renewals;
        await Task.Delay(100, Ct);

        Assert.Equal(renewals, receiver.Renewals);
        Assert.Equal(["ack:slow"], receiver.Settled);
    }

    [Fact]
    public async Task A_receiver_that_fails_ends_the_consumer_with_a_faulted_completion()
    {
        var receiver = new ScriptedReceiver();
        var engine = new ConsumerEngine<ScriptedReceiver.Item>(receiver, (_, _) => ValueTask.CompletedTask, RetryPolicy.None, Settings());
        await engine.StartAsync(Ct);

        receiver.Sink.Fail(new InvalidOperationException("queue 'orders' was deleted"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.Completion.WaitAsync(WaitLimit, Ct));
        Assert.Contains("'orders'", error.Message, StringComparison.Ordinal);
        Assert.True(receiver.Closed);
    }

    [Fact]
    public async Task Ordering_by_key_is_refused_where_the_transport_lacks_it()
    {
        var error = Assert.Throws<CapabilityNotSupportedException>(() => new ConsumerEngine<ScriptedReceiver.Item>(
            new ScriptedReceiver(), (_, _) => ValueTask.CompletedTask, RetryPolicy.None, Settings(DeliveryLanes.ByKey, capabilities: Everything with { OrderingByKey = false })));
        Assert.Equal(nameof(TransportCapabilities.OrderingByKey), error.Capability);
        Assert.Equal("Test", error.Transport);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Disposing_a_transport_while_a_consumer_stops_cancels_that_consumer_and_waits_for_its_handler()
    {
        // Before the consumer set kept stopping consumers, disposing returned at once while the handler ran on.
        var transport = new InMemoryTransport();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerEnded = 0;
        var consumer = await transport.Queue.ConsumeAsync("slow", async (_, ct) =>
        {
            entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                Interlocked.Exchange(ref handlerEnded, 1);
            }
        }, cancellationToken: Ct);
        await transport.Queue.SendAsync("slow", new Envelope("t", ReadOnlyMemory<byte>.Empty), Ct);
        await entered.Task.WaitAsync(WaitLimit, Ct);

        var stopping = consumer.StopAsync(Ct);
        await transport.DisposeAsync().AsTask().WaitAsync(WaitLimit, Ct);

        Assert.Equal(1, Volatile.Read(ref handlerEnded));
        await stopping.WaitAsync(WaitLimit, Ct);
        await consumer.Completion.WaitAsync(WaitLimit, Ct);
    }

    [Fact]
    public async Task A_message_released_while_a_held_retry_waited_keeps_its_attempt_count()
    {
        // Before the delivery context, a stop during a held retry brought the message back as attempt 1, so it could
        // fail more often than MaxAttempts.
        await using var transport = new InMemoryTransport();
        var policy = new RetryPolicy { MaxAttempts = 4, ImmediateRetries = 1, InitialDelay = TimeSpan.FromMinutes(10), MaxDelay = TimeSpan.FromMinutes(10) };
        var attempts = new ConcurrentQueue<int>();
        var secondFailed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ordered = new ConsumerOptions { Ordering = MessageOrdering.ByKey, Retry = policy };
        var first = await transport.Queue.ConsumeAsync("held", (m, _) =>
        {
            attempts.Enqueue(m.Attempt);
            if (m.Attempt == 2)
            {
                secondFailed.TrySetResult();
            }

            throw new InvalidOperationException("fails");
        }, ordered, Ct);
        await transport.Queue.SendAsync("held", new Envelope("t", ReadOnlyMemory<byte>.Empty) { Key = "k" }, Ct);
        await secondFailed.Task.WaitAsync(WaitLimit, Ct);

        // Attempt 3 waits ten minutes in process; stopping releases the message with 2 attempts made.
        await first.StopAsync(new CancellationToken(canceled: true));
        var next = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var second = await transport.Queue.ConsumeAsync("held", (m, _) =>
        {
            next.TrySetResult(m);
            return ValueTask.CompletedTask;
        }, ordered, Ct);
        var redelivered = await next.Task.WaitAsync(WaitLimit, Ct);

        Assert.Equal([1, 2], attempts);
        Assert.Equal(3, redelivered.Attempt);
        Assert.True(redelivered.Redelivered);
        Assert.Equal(2, redelivered.DeliveryCount);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private sealed class PullingReceiver(int total) : ScriptedReceiver, IPullingReceiver<ScriptedReceiver.Item>
    {
        private int _next;

        public ConcurrentQueue<(int Max, int Outstanding)> Asked { get; } = new();

        public int Preferred { get; init; } = 1;

        public int PreferredBatch => Preferred;

        private int _outstanding;

        public async ValueTask ReceiveAsync(int maxCount, List<Item> into, CancellationToken cancellationToken)
        {
            Asked.Enqueue((maxCount, Volatile.Read(ref _outstanding)));
            if (_next >= total)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            while (into.Count < maxCount && _next < total)
            {
                into.Add(Create($"m{_next++}"));
                Interlocked.Increment(ref _outstanding);
            }
        }

        public override ValueTask AcknowledgeAsync(Item delivery)
        {
            Interlocked.Decrement(ref _outstanding);
            return base.AcknowledgeAsync(delivery);
        }
    }

    private sealed class LeasingReceiver : ScriptedReceiver, ILeasingReceiver<ScriptedReceiver.Item>
    {
        private int _renewals;

        public TaskCompletionSource ThreeRenewals { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Renewals => Volatile.Read(ref _renewals);

        public TimeSpan LeaseRenewalInterval => TimeSpan.FromMilliseconds(20);

        public ValueTask RenewLeaseAsync(Item delivery, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _renewals) == 3)
            {
                ThreeRenewals.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }
    }
}

public sealed class KeyLanesTests
{
    [Fact]
    public void Key_lanes_run_one_delivery_per_key_in_order_and_keyless_ones_at_once()
    {
        var lanes = new KeyLanes<string>();
        Assert.True(lanes.TryStart("a", "a1"));
        Assert.False(lanes.TryStart("a", "a2"));
        Assert.False(lanes.TryStart("a", "a3"));
        Assert.True(lanes.TryStart("b", "b1"));
        Assert.True(lanes.TryStart(null, "n1"));
        Assert.True(lanes.TryStart(null, "n2"));

        Assert.Equal("a2", lanes.Complete("a", takeNext: true));
        Assert.Null(lanes.Complete("b", takeNext: true));
        Assert.True(lanes.TryStart("b", "b2"));
        Assert.False(lanes.TryStart("b", "b3"));
        Assert.Equal(["b3"], lanes.TakeWaiting(d => d.StartsWith('b')));
        Assert.Null(lanes.Complete("a", takeNext: false));
        Assert.Equal(["a3"], lanes.TakeWaiting(_ => true));
    }
}

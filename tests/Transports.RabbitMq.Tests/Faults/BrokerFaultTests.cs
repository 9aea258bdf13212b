using System.Globalization;
using System.Text;
using System.Threading.RateLimiting;
using Messaging.Adapters.RabbitMq.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.RabbitMq.Tests.Faults;

/// <summary>
/// Faults made to a broker while messages flow: every client connection closed (<c>rabbitmqctl close_all_connections</c>)
/// several times, the broker restarted (its container stopped and started again), and the broker frozen
/// (its container paused, then unpaused). A checker over message ids proves that every confirmed message is handled at
/// least once (lost = 0), that nothing unknown shows up (unexpected = 0), and reports the duplicates the recoveries cost.
/// </summary>
/// <remarks>Each test has a broker of its own (<see cref="FaultBroker"/>): a container, so no other test is disturbed;
/// with <c>MESSAGING_RABBITMQ_URI</c>, the existing broker taken exclusively.</remarks>
[Trait("Category", "Fault")]
public sealed class BrokerFaultTests
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_confirmed_message_is_handled_across_dropped_connections_and_a_broker_restart()
    {
        await using var broker = await FaultBroker.StartAsync(Ct);
        using var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var transport = await broker.ConnectAsync(o => o.PublishTimeout = TimeSpan.FromMinutes(2), loggerFactory);
        var queue = TestBroker.UniqueName("faults-queue");
        await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        try
        {
            var checker = new DeliveryChecker();
            await using var consumer = await ConsumeCheckingAsync(transport, queue, checker);

            var run = new FaultRun(5000, messagesPerSecond: 500);
            await run.ExecuteAsync(
                (id, body) => transport.Queue.SendAsync(queue, new Envelope("faults.ping", body) { Id = id }, Ct),
                checker,
                [
                    (0.15, "close_all_connections", broker.CloseAllConnectionsAsync),
                    (0.30, "close_all_connections", broker.CloseAllConnectionsAsync),
                    (0.45, "close_all_connections", broker.CloseAllConnectionsAsync),
                    (0.60, "broker restart", broker.RestartAsync),
                ]);

            var result = await CheckAsync(checker, "queue");
            Assert.True(CountLostConnections(logs) >= 4, $"The faults should have dropped the transport's connections at least 4 times; the logs show {CountLostConnections(logs)}.");
            AssertNothingLost(result, 5000);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Every_confirmed_message_reaches_a_subscription_and_a_stream_reader_across_dropped_connections()
    {
        await using var broker = await FaultBroker.StartAsync(Ct);
        using var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var transport = await broker.ConnectAsync(o => o.PublishTimeout = TimeSpan.FromMinutes(2), loggerFactory);
        var topic = TestBroker.UniqueName("faults-topic");
        var stream = TestBroker.UniqueName("faults-stream");
        const string subscription = "checker";
        const string group = "checker";
        await transport.Topology.EnsureAsync(Destination.ForSubscription(topic, subscription), Ct);
        await transport.Topology.EnsureAsync(Destination.Stream(stream), Ct);
        try
        {
            var subscribed = new DeliveryChecker();
            var streamed = new DeliveryChecker();
            await using var consumer = await transport.Subscriber.SubscribeAsync(
                topic,
                subscription,
                (message, _) =>
                {
                    subscribed.Received(message.Envelope.Id);
                    return ValueTask.CompletedTask;
                },
                new SubscriptionOptions { MaxInFlight = 50 },
                Ct);
            await using var reader = await transport.Stream.ReadAsync(
                stream,
                group,
                (message, _) =>
                {
                    streamed.Received(message.Envelope.Id);
                    return ValueTask.CompletedTask;
                },
                new StreamReadOptions { CheckpointEvery = 100 },
                Ct);

            // One run publishes each id to the topic and appends it to the stream; each shape has its own checker.
            var both = new DeliveryChecker();
            var run = new FaultRun(2000, messagesPerSecond: 400);
            await run.ExecuteAsync(
                async (id, body) =>
                {
                    var message = new Envelope("faults.ping", body) { Id = id };
                    await PublishRecordingAsync(subscribed, id, () => transport.Publisher.PublishAsync(topic, message, Ct));
                    await PublishRecordingAsync(streamed, id, () => transport.Stream.AppendAsync(stream, message, Ct));
                },
                both,
                [
                    (0.25, "close_all_connections", broker.CloseAllConnectionsAsync),
                    (0.50, "close_all_connections", broker.CloseAllConnectionsAsync),
                    (0.75, "close_all_connections", broker.CloseAllConnectionsAsync),
                ]);

            var subscriptionResult = await CheckAsync(subscribed, "subscription");
            var streamResult = await CheckAsync(streamed, "stream reader group (checkpoint every 100)");
            Assert.True(CountLostConnections(logs) >= 3, $"The faults should have dropped the transport's connections at least 3 times; the logs show {CountLostConnections(logs)}.");
            AssertNothingLost(subscriptionResult, 2000);
            AssertNothingLost(streamResult, 2000);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.ForSubscription(topic, subscription), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Topic(topic), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Stream(stream), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Queue(stream + "." + group + DestinationNames.DeadLetterSuffix), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Every_confirmed_message_is_handled_across_a_broker_that_hangs()
    {
        await using var broker = await FaultBroker.StartAsync(Ct);
        Assert.SkipUnless(broker.CanPause, $"Freezing a broker needs a container of the test's own; {RabbitMqTransportOptions.UriEnvironmentVariable} names an existing broker.");
        using var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));

        // Heartbeats every 2 s: a frozen broker misses them, so the client gives its connection up after a few seconds
        // instead of waiting on it for minutes, and recovers once the broker answers again.
        await using var transport = await broker.ConnectAsync(
            o =>
            {
                o.PublishTimeout = TimeSpan.FromMinutes(2);
                o.Heartbeat = TimeSpan.FromSeconds(2);
            },
            loggerFactory);
        var queue = TestBroker.UniqueName("faults-hang");
        await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        var checker = new DeliveryChecker();
        await using var consumer = await ConsumeCheckingAsync(transport, queue, checker);

        var run = new FaultRun(2000, messagesPerSecond: 400);
        await run.ExecuteAsync(
            (id, body) => transport.Queue.SendAsync(queue, new Envelope("faults.ping", body) { Id = id }, Ct),
            checker,
            [
                (0.30, "paused for 10 s", () => FreezeAsync(broker, TimeSpan.FromSeconds(10))),
                (0.70, "paused for 1 s", () => FreezeAsync(broker, TimeSpan.FromSeconds(1))),
            ]);

        var result = await CheckAsync(checker, "queue, broker frozen twice");
        Assert.True(CountLostConnections(logs) >= 1, $"The 10 s freeze should have cost the transport its connection (missed heartbeats); the logs show {CountLostConnections(logs)} lost connections.");
        AssertNothingLost(result, 2000);
        await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
    }

    [Fact]
    public async Task A_publish_the_broker_does_not_confirm_is_never_reported_sent()
    {
        await using var broker = await FaultBroker.StartAsync(Ct);
        await using var transport = await broker.ConnectAsync(o => o.PublishTimeout = TimeSpan.FromSeconds(3));
        var queue = TestBroker.UniqueName("faults-alarm");
        await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        var arrived = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await transport.Queue.ConsumeAsync(queue, (m, _) => { arrived.TrySetResult(m); return ValueTask.CompletedTask; }, null, Ct);
        var message = new Envelope("faults.blocked", Encoding.UTF8.GetBytes("blocked"));
        try
        {
            // A memory alarm: the broker blocks every publishing connection and confirms nothing.
            await broker.RabbitmqctlAsync("set_vm_memory_high_watermark", "0");
            var started = DateTime.UtcNow;
            var error = await Assert.ThrowsAsync<TransportUnavailableException>(async () => await transport.Queue.SendAsync(queue, message, Ct));
            var waited = DateTime.UtcNow - started;
            TestContext.Current.TestOutputHelper?.WriteLine($"While the broker blocked publishers: {error.Message} (after {waited.TotalSeconds:0.0} s)");
            Assert.True(error.IsTransient);
            Assert.Contains(message.Id, error.Message, StringComparison.Ordinal);
            Assert.InRange(waited, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(30));
            Assert.False(arrived.Task.IsCompleted, "Nothing may arrive while the broker blocks publishers.");
        }
        finally
        {
            await broker.RabbitmqctlAsync("set_vm_memory_high_watermark", "0.4");
        }

        // The outcome was unknown, not failed: the blocked publish goes through once the alarm clears ("recovered").
        var late = await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(message.Id, late.Envelope.Id);
        await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
    }

    private static Task<IConsumer> ConsumeCheckingAsync(RabbitMqTransport transport, string queue, DeliveryChecker checker) =>
        transport.Queue.ConsumeAsync(
            queue,
            async (message, cancellationToken) =>
            {
                // A little work, as real handlers do, so that unacknowledged messages are in flight when the faults
                // strike and their redelivery is exercised too.
                await Task.Delay(2, cancellationToken);
                checker.Received(message.Envelope.Id);
            },
            new ConsumerOptions { MaxInFlight = 50 },
            Ct);

    private static async Task FreezeAsync(FaultBroker broker, TimeSpan duration)
    {
        await broker.PauseAsync();
        try
        {
            await Task.Delay(duration, Ct);
        }
        finally
        {
            await broker.UnpauseAsync();
        }
    }

    private static async Task PublishRecordingAsync(DeliveryChecker checker, string id, Func<ValueTask> publish)
    {
        try
        {
            await publish();
            checker.Confirmed(id);
        }
        catch (TransportUnavailableException)
        {
            checker.Unknown(id);
        }
    }

    private static async Task<DeliveryChecker.Result> CheckAsync(DeliveryChecker checker, string shape)
    {
        var allArrived = await checker.WaitForAllConfirmedAsync(DeliveryTimeout, Ct);

        // A quiet second, only so that late redeliveries are counted among the duplicates.
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        var result = checker.Check();
        TestContext.Current.TestOutputHelper?.WriteLine($"{shape}: {result}{(allArrived ? "" : " (timed out waiting)")}");
        return result;
    }

    private static void AssertNothingLost(DeliveryChecker.Result result, int published)
    {
        Assert.True(result.Lost.Count == 0, $"Confirmed messages were lost: {result}");
        Assert.True(result.Unexpected.Count == 0, $"Messages nobody published arrived: {result}");
        Assert.Equal(published, result.Confirmed + result.Unknown);
    }

    private static int CountLostConnections(RecordingLoggerProvider logs) => logs.Lines.Count(l => l.Contains("lost (", StringComparison.Ordinal));

    /// <summary>Publishes ids at a steady rate from several publishers, and injects each fault when its share of the
    /// messages has been published, so that faults strike while messages are in flight.</summary>
    private sealed class FaultRun(int count, int messagesPerSecond)
    {
        private int _next = -1;
        private int _done;

        public async Task ExecuteAsync(Func<string, byte[], ValueTask> publish, DeliveryChecker checker, IReadOnlyList<(double At, string Name, Func<Task> Inject)> faults)
        {
            var milestones = faults.Select(f => (Threshold: (int)(f.At * count), Reached: new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))).ToList();
            using var pace = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = messagesPerSecond / 10,
                TokensPerPeriod = messagesPerSecond / 10,
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
                QueueLimit = count,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            });
            var runId = Guid.NewGuid().ToString("N")[..8];
            var publishers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                for (var i = Interlocked.Increment(ref _next); i < count; i = Interlocked.Increment(ref _next))
                {
                    using var lease = await pace.AcquireAsync(1, Ct);
                    var id = string.Create(CultureInfo.InvariantCulture, $"{runId}-{i:D5}");
                    try
                    {
                        await publish(id, Encoding.UTF8.GetBytes(id));
                        checker.Confirmed(id);
                    }
                    catch (TransportUnavailableException)
                    {
                        checker.Unknown(id);
                    }

                    var done = Interlocked.Increment(ref _done);
                    foreach (var milestone in milestones.Where(m => done >= m.Threshold))
                    {
                        milestone.Reached.TrySetResult();
                    }
                }
            })).ToList();

            var injector = Task.Run(async () =>
            {
                for (var f = 0; f < faults.Count; f++)
                {
                    await milestones[f].Reached.Task.WaitAsync(Ct);
                    var started = DateTime.UtcNow;
                    await faults[f].Inject();
                    TestContext.Current.TestOutputHelper?.WriteLine($"fault {f + 1} ({faults[f].Name}) at {Volatile.Read(ref _done)} published, took {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
                }
            });

            await Task.WhenAll([.. publishers, injector]);
        }
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using Messaging.Adapters.RabbitMq.Tests.Support;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// Ordering by key across processes: consumers asking for it elect one active consumer through the broker, the
/// others stand by, and a standby takes over where the active one stopped without breaking any key's order.
/// </summary>
public sealed class OrderingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ordered_consumers_of_one_queue_take_turns_and_each_key_keeps_its_order()
    {
        await using var first = await TestBroker.ConnectAsync();
        await using var second = await TestBroker.ConnectAsync();
        var queue = TestBroker.UniqueName("ordered");
        await first.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        try
        {
            var handled = new ConcurrentQueue<(string Consumer, string Key, int Sequence)>();
            var count = 0;
            var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            MessageHandler Handler(string consumer) => async (message, cancellationToken) =>
            {
                await Task.Delay(1, cancellationToken);
                handled.Enqueue((consumer, message.Envelope.Key!, int.Parse(message.Envelope.Headers["sequence"], CultureInfo.InvariantCulture)));
                var n = Interlocked.Increment(ref count);
                if (n == 100)
                {
                    halfway.TrySetResult();
                }

                if (n == 200)
                {
                    all.TrySetResult();
                }
            };
            var options = new ConsumerOptions { MaxInFlight = 8, Ordering = MessageOrdering.ByKey };
            var consumers = new Dictionary<string, IConsumer>
            {
                ["first"] = await first.Queue.ConsumeAsync(queue, Handler("first"), options, Ct),
                ["second"] = await second.Queue.ConsumeAsync(queue, Handler("second"), options, Ct),
            };

            await first.Queue.SendBatchAsync(queue, Messages(0, 100), Ct);
            await halfway.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            var active = Assert.Single(handled.Select(h => h.Consumer).Distinct());
            await consumers[active].StopAsync(Ct);
            await first.Queue.SendBatchAsync(queue, Messages(100, 100), Ct);
            await all.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);

            var standby = consumers.Keys.Single(k => k != active);
            TestContext.Current.TestOutputHelper?.WriteLine($"active first: {active}; handled by {active}: {handled.Count(h => h.Consumer == active)}, by {standby}: {handled.Count(h => h.Consumer == standby)}");
            Assert.Equal(200, handled.Count);
            Assert.Contains(handled, h => h.Consumer == standby);
            foreach (var key in handled.GroupBy(h => h.Key))
            {
                var sequences = key.Select(h => h.Sequence).ToList();
                Assert.True(sequences.SequenceEqual(sequences.Order()), $"{key.Key} was handled out of order: {string.Join(", ", sequences)}");
            }

            // Turns, not a mix: once the standby started, the stopped consumer handled nothing more.
            var handover = handled.ToList().FindIndex(h => h.Consumer == standby);
            Assert.All(handled.Skip(handover), h => Assert.Equal(standby, h.Consumer));
            await consumers[standby].DisposeAsync();
        }
        finally
        {
            await first.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Stopping_a_standby_ordered_consumer_leaves_no_failed_task_behind()
    {
        var unobserved = new ConcurrentQueue<Exception>();
        void Record(object? sender, UnobservedTaskExceptionEventArgs args)
        {
            if (args.Exception.Flatten().InnerExceptions.Any(e => e.StackTrace?.Contains("ActiveConsumerLock", StringComparison.Ordinal) == true || e.Message.Contains("lock channel", StringComparison.Ordinal)))
            {
                unobserved.Enqueue(args.Exception);
            }
        }

        await using var transport = await TestBroker.ConnectAsync();
        var queue = TestBroker.UniqueName("standby-stop");
        await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        TaskScheduler.UnobservedTaskException += Record;
        try
        {
            var options = new ConsumerOptions { Ordering = MessageOrdering.ByKey };
            var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var active = await transport.Queue.ConsumeAsync(queue, (_, _) => { handled.TrySetResult(); return ValueTask.CompletedTask; }, options, Ct);
            await transport.Queue.SendAsync(queue, new Envelope("tests.ordered", new byte[] { 1 }) { Key = "k" }, Ct);
            await handled.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            for (var i = 0; i < 5; i++)
            {
                var standby = await transport.Queue.ConsumeAsync(queue, (_, _) => ValueTask.CompletedTask, options, Ct);
                await Task.Delay(TimeSpan.FromMilliseconds(200), Ct);
                await standby.StopAsync(Ct);
                await standby.Completion.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            }

            for (var i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                await Task.Delay(50, Ct);
            }

            Assert.True(unobserved.IsEmpty, $"Stopping a standby left {unobserved.Count} failed task(s) nobody observed: {unobserved.FirstOrDefault()}");
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= Record;
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    private static List<Envelope> Messages(int from, int count) => Enumerable.Range(from, count)
        .Select(i => new Envelope("tests.ordered", new byte[] { 1 }) { Key = $"key-{i % 5}" }.WithHeader("sequence", i.ToString(CultureInfo.InvariantCulture)))
        .ToList();
}

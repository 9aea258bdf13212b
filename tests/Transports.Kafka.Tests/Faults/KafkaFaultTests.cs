using System.Diagnostics;
using System.Globalization;
using Messaging.Adapters.Kafka.Tests.Support;
using Messaging.Adapters.RabbitMq.Tests.Support;

// The fault tests take brokers of their own cluster down: nothing in this assembly runs in parallel.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Messaging.Adapters.Kafka.Tests.Faults;

/// <summary>
/// Faults on a private librdkafka mock cluster while messages flow through a queue (a topic read by one shared group):
/// partition leaders down and up, injected request errors, consumers joining and leaving, a consumer process killed with
/// SIGKILL and started again. Each run ends with every
/// confirmed message received (lost = 0), nothing unexpected, no committed offset moving backwards, and prints its
/// counts (duplicates included).
/// </summary>
[Trait("Category", "Fault")]
public sealed class KafkaFaultTests(PrivateMockCluster cluster) : IClassFixture<PrivateMockCluster>
{
    private const int Partitions = 4;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(90);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_partition_leaders_going_down_and_up_during_produce_and_consume_lose_nothing()
    {
        var queue = await NewQueueAsync("leader");
        // Every partition led by broker 1, then broker 2: each outage takes every partition's leader away.
        await LeadAllAsync(queue, 1);
        await RunAsync(queue, 4_000, consumers: 1, async (run, at) =>
        {
            if (at == 1_000 || at == 2_500)
            {
                var broker = at == 1_000 ? 1 : 2;
                if (broker == 2)
                {
                    await LeadAllAsync(queue, 2);
                }

                await cluster.BrokerDownAsync(broker);
                run.Log($"broker {broker} (leader of every partition) down at {at}");
                await Task.Delay(3000, Ct);
                await cluster.BrokerUpAsync(broker);
                run.Log($"broker {broker} up");
            }
        });
    }

    [Fact]
    public async Task Injected_produce_fetch_commit_and_group_errors_lose_nothing()
    {
        var queue = await NewQueueAsync("errors");
        // A consumer joining meets JoinGroup and SyncGroup errors.
        await cluster.PushErrorsAsync(PrivateMockCluster.Api.JoinGroup, 15, 16);
        await cluster.PushErrorsAsync(PrivateMockCluster.Api.SyncGroup, 27);
        await RunAsync(queue, 4_000, consumers: 2, async (run, at) =>
        {
            switch (at)
            {
                case 500:
                    // NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS: retried by the idempotent producer.
                    await cluster.PushErrorsAsync(PrivateMockCluster.Api.Produce, 6, 7, 19, 6, 7);
                    run.Log("Produce errors pushed at 500");
                    break;
                case 1_500:
                    await cluster.PushErrorsAsync(PrivateMockCluster.Api.Fetch, 6, 6, 7, 6);
                    run.Log("Fetch errors pushed at 1500");
                    break;
                case 2_500:
                    // REBALANCE_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR on commits.
                    await cluster.PushErrorsAsync(PrivateMockCluster.Api.OffsetCommit, 27, 15, 16, 15);
                    run.Log("OffsetCommit errors pushed at 2500");
                    break;
            }
        });
    }

    [Fact]
    public async Task Consumers_joining_and_leaving_during_a_10000_message_run_lose_nothing()
    {
        var queue = await NewQueueAsync("rebalance");
        await RunAsync(queue, 10_000, consumers: 1, async (run, at) =>
        {
            switch (at)
            {
                case 2_000:
                case 4_000:
                    await run.AddConsumerAsync();
                    run.Log($"consumer joined at {at} ({run.ConsumerCount} running)");
                    break;
                case 6_000:
                    await run.StopConsumerAsync(0, cancel: false);
                    run.Log("first consumer stopped gracefully at 6000");
                    break;
                case 8_000:
                    await run.StopConsumerAsync(0, cancel: true);
                    run.Log("another consumer disposed mid-handling at 8000");
                    break;
            }
        });
    }

    [Fact]
    public async Task A_consumer_process_killed_mid_run_and_restarted_loses_nothing()
    {
        const int Count = 3_000;
        var queue = await NewQueueAsync("killed");
        var output = Path.Combine(Path.GetTempPath(), queue + ".handled");
        var checker = new DeliveryChecker();
        await using var transport = new KafkaTransport(cluster.Options("faults-" + queue));
        await using var watch = new CommittedOffsetWatch(cluster.Bootstrap, queue, queue, Partitions);
        var first = StartWorker(queue, output);
        try
        {
            for (var sent = 0; sent < Count; sent += 100)
            {
                var messages = Enumerable.Range(sent, 100)
                    .Select(i => new Envelope("fault.ping", BitConverter.GetBytes(i)) { Id = string.Create(CultureInfo.InvariantCulture, $"{queue}-{i:D6}") })
                    .ToList();
                await transport.Queue.SendBatchAsync(queue, messages, Ct);
                messages.ForEach(m => checker.Confirmed(m.Id));
            }

            // Kill it (SIGKILL: no stop, no commit, no leaving the group) once it is part-way through.
            while (HandledIds(output).Count < Count / 3)
            {
                Assert.False(first.HasExited, "The worker process ended by itself.");
                await Task.Delay(20, Ct);
            }

            first.Kill();
            await first.WaitForExitAsync(Ct);
            var handledBeforeKill = HandledIds(output).Count;
            var second = StartWorker(queue, output);
            try
            {
                var deadline = DateTime.UtcNow + DrainTimeout;
                while (HandledIds(output).Distinct().Count() < Count && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100, Ct);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), Ct);
            }
            finally
            {
                second.Kill();
                await second.WaitForExitAsync(Ct);
                second.Dispose();
            }

            foreach (var id in HandledIds(output))
            {
                checker.Received(id);
            }

            var result = checker.Check();
            TestContext.Current.TestOutputHelper?.WriteLine($"[{queue}] killed after {handledBeforeKill} handled; {result}; committed-offset reads={watch.Reads} regressions={watch.Regressions.Count}");
            Assert.Empty(result.Lost);
            Assert.Empty(result.Unexpected);
            Assert.Empty(watch.Regressions);
        }
        finally
        {
            if (!first.HasExited)
            {
                first.Kill();
            }

            first.Dispose();
            File.Delete(output);
        }
    }

    private Process StartWorker(string queue, string output)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "Messaging.Adapters.Kafka.Tests.Worker.dll");
        return Process.Start(new ProcessStartInfo("dotnet") { ArgumentList = { worker, cluster.Bootstrap, queue, output }, UseShellExecute = false })
            ?? throw new InvalidOperationException("Could not start the worker process.");
    }

    private static List<string> HandledIds(string output)
    {
        if (!File.Exists(output))
        {
            return [];
        }

        using var stream = new FileStream(output, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        // A line cut by the kill is not a handled message: only whole lines count.
        var text = reader.ReadToEnd();
        var end = text.LastIndexOf('\n');
        return end < 0 ? [] : text[..end].Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private async Task<string> NewQueueAsync(string prefix)
    {
        var queue = $"{prefix}-{Guid.NewGuid():N}"[..24];
        await cluster.CreateTopicAsync(queue, Partitions);
        return queue;
    }

    private async Task LeadAllAsync(string topic, int broker)
    {
        for (var p = 0; p < Partitions; p++)
        {
            await cluster.SetLeaderAsync(topic, p, broker);
        }
    }

    /// <summary>Publishes <paramref name="count"/> messages in batches of 50 while consumers handle them (each
    /// handler awaits 1 ms), calls <paramref name="fault"/> after each batch, then checks the run.</summary>
    private async Task RunAsync(string queue, int count, int consumers, Func<FaultRun, int, Task> fault)
    {
        await using var transport = new KafkaTransport(cluster.Options("faults-" + queue));
        var checker = new DeliveryChecker();
        await using var watch = new CommittedOffsetWatch(cluster.Bootstrap, queue, queue, Partitions);
        var run = new FaultRun(transport, queue, checker);
        for (var i = 0; i < consumers; i++)
        {
            await run.AddConsumerAsync();
        }

        const int Batch = 50;
        for (var sent = 0; sent < count; sent += Batch)
        {
            var messages = Enumerable.Range(sent, Batch)
                .Select(i => new Envelope("fault.ping", BitConverter.GetBytes(i)) { Id = string.Create(CultureInfo.InvariantCulture, $"{queue}-{i:D6}"), Key = (i % 97).ToString(CultureInfo.InvariantCulture) })
                .ToList();
            try
            {
                await transport.Queue.SendBatchAsync(queue, messages, Ct);
                messages.ForEach(m => checker.Confirmed(m.Id));
            }
            catch (BatchPublishException ex)
            {
                var unconfirmed = ex.UnconfirmedIds.ToHashSet(StringComparer.Ordinal);
                messages.ForEach(m => (unconfirmed.Contains(m.Id) ? (Action<string>)checker.Unknown : checker.Confirmed)(m.Id));
                run.Log($"batch at {sent}: {unconfirmed.Count} unconfirmed ({ex.InnerException?.Message})");
            }

            await fault(run, sent + Batch);
        }

        var allArrived = await checker.WaitForAllConfirmedAsync(DrainTimeout, Ct);
        // Let redeliveries of what was unfinished at a revoke show up before counting duplicates.
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        await run.StopAllAsync();
        var result = checker.Check();
        run.Log($"{queue}: {result}{(allArrived ? "" : " (timed out waiting)")}; committed-offset reads={watch.Reads} regressions={watch.Regressions.Count}");
        if (result.Lost.Count > 0)
        {
            // Which side lost them: the consumer (stored, never handled) or the producer (confirmed, never stored).
            foreach (var (id, where) in TopicScan.Locate(cluster.Bootstrap, queue, Partitions, result.Lost))
            {
                run.Log($"lost {id}: {where}");
            }
        }

        Assert.Empty(result.Lost);
        Assert.Empty(result.Unexpected);
        Assert.Empty(watch.Regressions);
        Assert.True(watch.Reads > 0, "The committed offsets were never read.");
    }

    private sealed class FaultRun(KafkaTransport transport, string queue, DeliveryChecker checker)
    {
        private readonly List<IConsumer> _consumers = [];

        public int ConsumerCount => _consumers.Count;

        public void Log(string line) => TestContext.Current.TestOutputHelper?.WriteLine($"[{queue}] {line}");

        public async Task AddConsumerAsync() =>
            _consumers.Add(await transport.Queue.ConsumeAsync(
                queue,
                async (message, cancellationToken) =>
                {
                    await Task.Delay(1, cancellationToken);
                    checker.Received(message.Envelope.Id);
                },
                new ConsumerOptions { MaxInFlight = 32 },
                Ct));

        public async Task StopConsumerAsync(int index, bool cancel)
        {
            var consumer = _consumers[index];
            _consumers.RemoveAt(index);
            if (cancel)
            {
                await consumer.DisposeAsync();
            }
            else
            {
                await consumer.StopAsync(Ct);
            }
        }

        public async Task StopAllAsync()
        {
            foreach (var consumer in _consumers)
            {
                await consumer.StopAsync(Ct);
            }

            _consumers.Clear();
        }
    }
}

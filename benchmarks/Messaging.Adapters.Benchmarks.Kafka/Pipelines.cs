using System.Buffers.Binary;
using System.Diagnostics;
using Confluent.Kafka;
using Messaging.Adapters.Benchmarks.Shared;
using Messaging.Adapters.Kafka;

namespace Messaging.Adapters.Benchmarks.Kafka;

/// <summary>The adapter: a queue (topic read by one group), sent in batches of 500, handled by one consumer.</summary>
internal sealed class AdapterPipeline(string bootstrap) : IAsyncDisposable
{
    private readonly KafkaTransport _transport = new(new KafkaTransportOptions { BootstrapServers = bootstrap, ClientId = "bench-adapter", CommitInterval = TimeSpan.FromMilliseconds(200) });

    public async Task<Result> RunAsync(int count, int size, TimeSpan handlerDelay, int maxInFlight)
    {
        var queue = Cluster.NewTopic("adapter");
        await _transport.Topology.EnsureAsync(Destination.Queue(queue));
        var latencies = new List<double>(count);
        var handled = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await _transport.Queue.ConsumeAsync(
            queue,
            async (message, cancellationToken) =>
            {
                var sentAt = BinaryPrimitives.ReadInt64LittleEndian(message.Envelope.Body.Span);
                if (handlerDelay > TimeSpan.Zero)
                {
                    await Task.Delay(handlerDelay, cancellationToken);
                }

                lock (latencies)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(sentAt).TotalMicroseconds);
                }

                if (Interlocked.Increment(ref handled) == count)
                {
                    done.TrySetResult();
                }
            },
            new ConsumerOptions { MaxInFlight = maxInFlight });
        var meter = RunMeter.Start();
        for (var sent = 0; sent < count; sent += 500)
        {
            var batch = new List<Envelope>(500);
            for (var i = sent; i < Math.Min(count, sent + 500); i++)
            {
                var body = new byte[size];
                BinaryPrimitives.WriteInt64LittleEndian(body, Stopwatch.GetTimestamp());
                batch.Add(new Envelope("bench", body) { Key = (i % 64).ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }

            await _transport.Queue.SendBatchAsync(queue, batch);
        }

        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        return meter.Stop(count, latencies);
    }

    public ValueTask DisposeAsync() => _transport.DisposeAsync();
}

/// <summary>Raw Confluent.Kafka with the same settings: an idempotent acks=all producer (Produce with delivery
/// handlers), and a consumer that polls, handles and then stores the message's offset (auto-commit of stored offsets
/// only): the usual at-least-once loop, one message at a time.</summary>
internal sealed class RawPipeline(string bootstrap)
{
    public async Task<Result> RunAsync(int count, int size, TimeSpan handlerDelay)
    {
        var topic = Cluster.NewTopic("raw");
        using var producer = new ProducerBuilder<string?, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true, Acks = Acks.All, LingerMs = 2, ClientId = "bench-raw" }).Build();
        using var consumer = new ConsumerBuilder<string?, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = topic,
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            AllowAutoCreateTopics = true,
            FetchWaitMaxMs = 100,
        }).Build();
        // Create the topic (the mock cluster creates it when asked for its metadata) before the group joins.
        using (var admin = new DependentAdminClientBuilder(producer.Handle).Build())
        {
            _ = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        }

        consumer.Subscribe(topic);
        var latencies = new List<double>(count);
        var meter = RunMeter.Start();
        var elapsed = Stopwatch.StartNew();
        var producing = Task.Run(async () =>
        {
            var reports = new List<Task>(count);
            for (var i = 0; i < count; i++)
            {
                var body = new byte[size];
                BinaryPrimitives.WriteInt64LittleEndian(body, Stopwatch.GetTimestamp());
                var report = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                producer.Produce(topic, new Message<string?, byte[]> { Key = (i % 64).ToString(System.Globalization.CultureInfo.InvariantCulture), Value = body }, r =>
                {
                    if (r.Error.IsError)
                    {
                        report.TrySetException(new KafkaException(r.Error));
                    }
                    else
                    {
                        report.TrySetResult();
                    }
                });
                reports.Add(report.Task);
            }

            await Task.WhenAll(reports);
        });
        var handled = 0;
        while (handled < count && elapsed.Elapsed < TimeSpan.FromMinutes(2))
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null)
            {
                continue;
            }

            if (handlerDelay > TimeSpan.Zero)
            {
                await Task.Delay(handlerDelay);
            }

            latencies.Add(Stopwatch.GetElapsedTime(BinaryPrimitives.ReadInt64LittleEndian(result.Message.Value)).TotalMicroseconds);
            consumer.StoreOffset(result);
            handled++;
        }

        await producing;
        var measured = meter.Stop(handled, latencies);
        consumer.Close();
        return measured;
    }
}

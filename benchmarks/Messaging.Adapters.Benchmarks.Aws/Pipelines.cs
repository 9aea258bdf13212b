using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Adapters.Aws;
using Messaging.Adapters.Benchmarks.Shared;

namespace Messaging.Adapters.Benchmarks.Aws;

/// <summary>One pipeline's run: its result and the SQS requests it made.</summary>
internal sealed record Run(Result Result, RequestCounts Requests);

/// <summary>
/// The adapter: one SQS queue, sent to with <see cref="IQueue.SendBatchAsync"/> in batches of 10, consumed by one
/// <see cref="IQueue.ConsumeAsync"/> consumer (long polls of up to 10 within its free credit, batched deletes).
/// </summary>
internal sealed class AdapterPipeline(RequestCounter requests) : IAsyncDisposable
{
    private const int Batch = 10;

    private readonly AwsTransport _transport = new(new AwsTransportOptions { ConfigureSqs = config => config.HttpClientFactory = requests });

    public async Task<Run> RunAsync(int count, int size, TimeSpan handlerDelay, int maxInFlight)
    {
        var queue = Endpoint.NewQueueName("adapter");
        await _transport.Topology.EnsureAsync(Destination.Queue(queue));
        try
        {
            var latencies = new List<double>(count);
            var handled = 0;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var consumer = await _transport.Queue.ConsumeAsync(
                queue,
                async (message, cancellationToken) =>
                {
                    if (handlerDelay > TimeSpan.Zero)
                    {
                        await Task.Delay(handlerDelay, cancellationToken);
                    }

                    var latency = StampedBody.LatencyMicroseconds(message.Envelope.Body.Span);
                    lock (latencies)
                    {
                        latencies.Add(latency);
                    }

                    if (Interlocked.Increment(ref handled) == count)
                    {
                        done.TrySetResult();
                    }
                },
                new ConsumerOptions { MaxInFlight = maxInFlight });
            var before = requests.Snapshot();
            Result result;
            try
            {
                var meter = RunMeter.Start();
                for (var sent = 0; sent < count; sent += Batch)
                {
                    var now = Stopwatch.GetTimestamp();
                    var batch = new Envelope[Math.Min(Batch, count - sent)];
                    for (var i = 0; i < batch.Length; i++)
                    {
                        batch[i] = new Envelope("bench", Encoding.UTF8.GetBytes(StampedBody.Create(now, size)));
                    }

                    await _transport.Queue.SendBatchAsync(queue, batch);
                }

                await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
                result = meter.Stop(count, latencies);
            }
            finally
            {
                // Stopping drains the batched deletes, so the count below has every one of them.
                await consumer.DisposeAsync();
            }

            return new Run(result, requests.Snapshot().Since(before));
        }
        finally
        {
            await _transport.Topology.DeleteAsync(Destination.Queue(queue));
        }
    }

    public ValueTask DisposeAsync() => _transport.DisposeAsync();
}

/// <summary>
/// AWSSDK.SQS alone, as an application would write the at-least-once loop: <c>SendMessageBatch</c> of 10 from one
/// producer; one consumer that long-polls <c>ReceiveMessage</c> for up to 10, handles them one after another and
/// deletes what it handled with one <c>DeleteMessageBatch</c>, then polls again.
/// </summary>
internal sealed class RawPipeline(RequestCounter requests) : IDisposable
{
    private const int Batch = 10;

    private readonly AmazonSQSClient _sqs = new(Endpoint.RawConfig(requests));

    public async Task<Run> RunAsync(int count, int size, TimeSpan handlerDelay)
    {
        var url = (await _sqs.CreateQueueAsync(Endpoint.NewQueueName("raw"))).QueueUrl;
        try
        {
            var before = requests.Snapshot();
            var latencies = new List<double>(count);
            var meter = RunMeter.Start();
            var producing = Task.Run(() => ProduceAsync(url, count, size));
            var handled = 0;
            var deadline = Stopwatch.StartNew();
            while (handled < count && deadline.Elapsed < TimeSpan.FromMinutes(5))
            {
                var received = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MaxNumberOfMessages = Batch, WaitTimeSeconds = 20, MessageAttributeNames = ["All"] });
                if (received.Messages is not { Count: > 0 } messages)
                {
                    continue;
                }

                foreach (var message in messages)
                {
                    if (handlerDelay > TimeSpan.Zero)
                    {
                        await Task.Delay(handlerDelay);
                    }

                    latencies.Add(StampedBody.LatencyMicroseconds(message.Body));
                    handled++;
                }

                var deleted = await _sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
                {
                    QueueUrl = url,
                    Entries = [.. messages.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle))],
                });
                if (deleted.Failed is { Count: > 0 } failed)
                {
                    throw new InvalidOperationException($"{failed.Count} deletes failed, the first: {failed[0].Code} {failed[0].Message}");
                }
            }

            await producing;
            var result = meter.Stop(handled, latencies);
            return new Run(result, requests.Snapshot().Since(before));
        }
        finally
        {
            await _sqs.DeleteQueueAsync(url);
        }
    }

    public void Dispose() => _sqs.Dispose();

    private async Task ProduceAsync(string url, int count, int size)
    {
        for (var sent = 0; sent < count; sent += Batch)
        {
            var now = Stopwatch.GetTimestamp();
            var entries = new List<SendMessageBatchRequestEntry>(Batch);
            for (var i = 0; i < Math.Min(Batch, count - sent); i++)
            {
                // The same CloudEvents attributes the adapter writes for such a message, so both sides carry (and the
                // emulator parses) the same metadata: an application using the client directly would send them too.
                entries.Add(new SendMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), StampedBody.Create(now, size))
                {
                    MessageAttributes = new Dictionary<string, MessageAttributeValue>
                    {
                        ["ce-specversion"] = Text("1.0"),
                        ["ce-id"] = Text(Guid.NewGuid().ToString("N")),
                        ["ce-type"] = Text("bench"),
                        ["ce-source"] = Text("/benchmark"),
                        ["ce-time"] = Text(DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)),
                    },
                });
            }

            var response = await _sqs.SendMessageBatchAsync(new SendMessageBatchRequest { QueueUrl = url, Entries = entries });
            if (response.Failed is { Count: > 0 } failed)
            {
                throw new InvalidOperationException($"{failed.Count} sends failed, the first: {failed[0].Code} {failed[0].Message}");
            }
        }
    }

    private static MessageAttributeValue Text(string value) => new() { DataType = "String", StringValue = value };
}

using System.Threading.Channels;

namespace Messaging.Adapters.Benchmarks.Pipelines;

/// <summary>
/// The baseline: a bare <see cref="Channel{T}"/> from the producer to one consumer loop, carrying the same payload
/// bytes and doing the same handler work. Unbounded, like the in-memory transport's queues, so neither side has
/// back-pressure the other lacks.
/// </summary>
internal sealed class RawChannelPipeline : IPipeline
{
    public string Name => "raw Channel<T>";

    public Task<IPipelineRun> StartAsync(Scenario scenario, DeliveryRecorder recorder)
    {
        var channel = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var consumer = Task.Run(() => ConsumeAsync(channel.Reader, recorder));
        return Task.FromResult<IPipelineRun>(new Run(channel, consumer, scenario, recorder));
    }

    private static async Task ConsumeAsync(ChannelReader<byte[]> reader, DeliveryRecorder recorder)
    {
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var body))
            {
                recorder.Handle(Payload.ReadSequence(body));
            }
        }
    }

    private sealed class Run(Channel<byte[]> channel, Task consumer, Scenario scenario, DeliveryRecorder recorder) : IPipelineRun
    {
        public Task ProduceAsync() => scenario.Mode == PublishMode.Batched ? WriteBatchesAsync() : WriteEachAsync();

        public async ValueTask DisposeAsync()
        {
            channel.Writer.TryComplete();
            await consumer.ConfigureAwait(false);
        }

        private async Task WriteEachAsync()
        {
            var writer = channel.Writer;
            var size = scenario.PayloadSize;
            var oneInFlight = scenario.Mode == PublishMode.OneInFlight;
            for (var i = 0; i < scenario.Messages; i++)
            {
                var body = Payload.Create(i, size);
                recorder.Sent(i);
                await writer.WriteAsync(body).ConfigureAwait(false);
                if (oneInFlight)
                {
                    await recorder.WaitForOneHandledAsync().ConfigureAwait(false);
                }
            }
        }

        private async Task WriteBatchesAsync()
        {
            var writer = channel.Writer;
            var size = scenario.PayloadSize;
            var full = new byte[scenario.BatchSize][];
            for (var first = 0; first < scenario.Messages; first += full.Length)
            {
                var count = Math.Min(full.Length, scenario.Messages - first);
                for (var j = 0; j < count; j++)
                {
                    full[j] = Payload.Create(first + j, size);
                }

                recorder.SentBatch(first, count);
                for (var j = 0; j < count; j++)
                {
                    // An unbounded channel always accepts; WriteAsync is the fallback a bounded one would need.
                    if (!writer.TryWrite(full[j]))
                    {
                        await writer.WriteAsync(full[j]).ConfigureAwait(false);
                    }
                }
            }
        }
    }
}

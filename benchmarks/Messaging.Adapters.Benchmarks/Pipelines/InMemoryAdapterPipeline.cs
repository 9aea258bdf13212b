using Messaging.Adapters.InMemory;

namespace Messaging.Adapters.Benchmarks.Pipelines;

/// <summary>
/// The adapter: <see cref="IPublisher"/> of an <see cref="InMemoryTransport"/> → one subscription → a
/// <see cref="MessageHandler"/>. Every message is an <see cref="Envelope"/> created by the producer, as an
/// application must; the subscription uses the contract's default options except <c>MaxInFlight</c> when set.
/// </summary>
/// <param name="prebuildEnvelopes">A diagnostic: create every envelope during set-up, before the clock starts, to
/// separate what the <see cref="Envelope"/> costs from what the transport costs. Not how an application works.</param>
internal sealed class InMemoryAdapterPipeline(bool prebuildEnvelopes = false) : IPipeline
{
    private const string Topic = "bench";
    private const string MessageType = "bench.tick";

    public string Name => prebuildEnvelopes ? "adapter, envelopes built in advance" : "in-memory adapter";

    public async Task<IPipelineRun> StartAsync(Scenario scenario, DeliveryRecorder recorder)
    {
        var transport = new InMemoryTransport();
        var consumer = await transport.Subscriber.SubscribeAsync(
            Topic,
            "counter",
            (message, _) =>
            {
                recorder.Handle(Payload.ReadSequence(message.Envelope.Body.Span));
                return ValueTask.CompletedTask;
            },
            new SubscriptionOptions { MaxInFlight = scenario.MaxInFlight }).ConfigureAwait(false);
        var prebuilt = prebuildEnvelopes
            ? Enumerable.Range(0, scenario.Messages).Select(i => new Envelope(MessageType, Payload.Create(i, scenario.PayloadSize))).ToArray()
            : null;
        return new Run(transport, consumer, scenario, recorder, prebuilt);
    }

    private sealed class Run(InMemoryTransport transport, IConsumer consumer, Scenario scenario, DeliveryRecorder recorder, Envelope[]? prebuilt) : IPipelineRun
    {
        public Task ProduceAsync() => scenario.Mode == PublishMode.Batched ? PublishBatchesAsync() : PublishEachAsync();

        public async ValueTask DisposeAsync()
        {
            await consumer.DisposeAsync().ConfigureAwait(false);
            await transport.DisposeAsync().ConfigureAwait(false);
        }

        private async Task PublishEachAsync()
        {
            var publisher = transport.Publisher;
            var size = scenario.PayloadSize;
            var oneInFlight = scenario.Mode == PublishMode.OneInFlight;
            for (var i = 0; i < scenario.Messages; i++)
            {
                var message = prebuilt?[i] ?? new Envelope(MessageType, Payload.Create(i, size));
                recorder.Sent(i);
                await publisher.PublishAsync(Topic, message).ConfigureAwait(false);
                if (oneInFlight)
                {
                    await recorder.WaitForOneHandledAsync().ConfigureAwait(false);
                }
            }
        }

        private async Task PublishBatchesAsync()
        {
            var publisher = transport.Publisher;
            var size = scenario.PayloadSize;

            // One buffer reused for every full batch, as a careful application would: the transport has taken the
            // messages when PublishBatchAsync completes.
            var full = new Envelope[scenario.BatchSize];
            for (var first = 0; first < scenario.Messages; first += full.Length)
            {
                var count = Math.Min(full.Length, scenario.Messages - first);
                var batch = count == full.Length ? full : new Envelope[count];
                for (var j = 0; j < count; j++)
                {
                    batch[j] = prebuilt?[first + j] ?? new Envelope(MessageType, Payload.Create(first + j, size));
                }

                recorder.SentBatch(first, count);
                await publisher.PublishBatchAsync(Topic, batch).ConfigureAwait(false);
            }
        }
    }
}

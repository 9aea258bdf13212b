using System.Diagnostics;
using Messaging.Adapters.RabbitMq;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Messaging.Adapters.Benchmarks.RabbitMq;

/// <summary>How the producer sends.</summary>
internal enum Mode
{
    /// <summary>Batches of <see cref="Scenario.Batch"/>, each sent in order and its confirms awaited together.</summary>
    Batched,

    /// <summary>One message per call, each confirm awaited before the next.</summary>
    AwaitEach,

    /// <summary>The next message only after the previous one was handled: the latency of one hop.</summary>
    OneInFlight,
}

internal sealed record Scenario(Mode Mode, int Messages, int Size, int Batch, ushort Prefetch)
{
    public string Describe() => Mode switch
    {
        Mode.Batched => $"batched ({Batch})",
        Mode.AwaitEach => "await-each",
        _ => "1 in flight",
    };
}

/// <summary>A producer → broker queue → one consumer pipeline; the queue is a fresh durable quorum queue per run.</summary>
internal interface IPipeline : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Declares the run's queue and starts its consumer (not measured).</summary>
    Task StartRunAsync(string queue, Scenario scenario, Recorder recorder);

    /// <summary>Sends every message of the run (measured).</summary>
    Task ProduceAsync(Scenario scenario, Recorder recorder);

    /// <summary>Stops the consumer and deletes the queue (not measured).</summary>
    Task EndRunAsync();
}

/// <summary>
/// Through the adapter: <see cref="IQueue.SendAsync"/> / <see cref="IQueue.SendBatchAsync"/> (confirmed, mandatory,
/// persistent, the envelope mapped to AMQP properties and CloudEvents headers) and one
/// <see cref="IQueue.ConsumeAsync"/> consumer with MaxInFlight = the prefetch, acknowledging after the handler.
/// </summary>
internal sealed class AdapterPipeline(Uri uri) : IPipeline
{
    private readonly RabbitMqTransport _transport = new(new RabbitMqTransportOptions { Uri = uri, ClientName = "benchmark-adapter" });
    private IConsumer? _consumer;
    private string _queue = "";

    public string Name => "adapter";

    public async Task StartRunAsync(string queue, Scenario scenario, Recorder recorder)
    {
        _queue = queue;
        await _transport.Topology.EnsureAsync(Destination.Queue(queue)).ConfigureAwait(false);
        _consumer = await _transport.Queue.ConsumeAsync(
            queue,
            (message, _) =>
            {
                recorder.Handled(message.Envelope.Body.Span);
                return ValueTask.CompletedTask;
            },
            new ConsumerOptions { MaxInFlight = scenario.Prefetch }).ConfigureAwait(false);
    }

    public async Task ProduceAsync(Scenario scenario, Recorder recorder)
    {
        var queue = _transport.Queue;
        switch (scenario.Mode)
        {
            case Mode.Batched:
                var batch = new Envelope[scenario.Batch];
                for (var start = 0; start < scenario.Messages; start += scenario.Batch)
                {
                    var count = Math.Min(scenario.Batch, scenario.Messages - start);
                    if (count != batch.Length)
                    {
                        batch = new Envelope[count];
                    }

                    for (var i = 0; i < count; i++)
                    {
                        batch[i] = new Envelope("benchmark.ping", Recorder.Payload(start + i, scenario.Size));
                    }

                    var now = Stopwatch.GetTimestamp();
                    for (var i = 0; i < count; i++)
                    {
                        recorder.Sent(start + i, now);
                    }

                    await queue.SendBatchAsync(_queue, batch).ConfigureAwait(false);
                }

                break;
            case Mode.AwaitEach:
                for (var i = 0; i < scenario.Messages; i++)
                {
                    var message = new Envelope("benchmark.ping", Recorder.Payload(i, scenario.Size));
                    recorder.Sent(i, Stopwatch.GetTimestamp());
                    await queue.SendAsync(_queue, message).ConfigureAwait(false);
                }

                break;
            default:
                for (var i = 0; i < scenario.Messages; i++)
                {
                    var handled = recorder.NextHandled();
                    var message = new Envelope("benchmark.ping", Recorder.Payload(i, scenario.Size));
                    recorder.Sent(i, Stopwatch.GetTimestamp());
                    await queue.SendAsync(_queue, message).ConfigureAwait(false);
                    await handled.ConfigureAwait(false);
                }

                break;
        }
    }

    public async Task EndRunAsync()
    {
        if (_consumer is not null)
        {
            await _consumer.DisposeAsync().ConfigureAwait(false);
        }

        await _transport.Topology.DeleteAsync(Destination.Queue(_queue)).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _transport.DisposeAsync();
}

/// <summary>
/// RabbitMQ.Client alone, as an application would write it with the same guarantees: a publishing connection with a
/// confirm-tracking channel (mandatory, persistent publishes; a batch sent in order and its confirms awaited
/// together), and a consuming connection with prefetch and a manual acknowledgement after the handler.
/// </summary>
internal sealed class RawClientPipeline(Uri uri) : IPipeline
{
    private IConnection? _publishing;
    private IConnection? _consuming;
    private IChannel? _publishChannel;
    private IChannel? _consumeChannel;
    private string _queue = "";

    public string Name => "raw RabbitMQ.Client";

    public async Task StartRunAsync(string queue, Scenario scenario, Recorder recorder)
    {
        _queue = queue;
        var factory = new ConnectionFactory { Uri = uri, ClientProvidedName = "benchmark-raw" };
        _publishing ??= await factory.CreateConnectionAsync("benchmark-raw (publishing)").ConfigureAwait(false);
        _consuming ??= await factory.CreateConnectionAsync("benchmark-raw (consuming)").ConfigureAwait(false);
        _publishChannel ??= await _publishing.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)).ConfigureAwait(false);
        _consumeChannel = await _consuming.CreateChannelAsync().ConfigureAwait(false);
        await _consumeChannel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }).ConfigureAwait(false);
        await _consumeChannel.BasicQosAsync(0, scenario.Prefetch, false).ConfigureAwait(false);
        var channel = _consumeChannel;
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            recorder.Handled(delivery.Body.Span);
            await channel.BasicAckAsync(delivery.DeliveryTag, false).ConfigureAwait(false);
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer).ConfigureAwait(false);
    }

    public async Task ProduceAsync(Scenario scenario, Recorder recorder)
    {
        var channel = _publishChannel!;
        var properties = new BasicProperties { Persistent = true };
        switch (scenario.Mode)
        {
            case Mode.Batched:
                var confirms = new List<Task>(scenario.Batch);
                for (var start = 0; start < scenario.Messages; start += scenario.Batch)
                {
                    var count = Math.Min(scenario.Batch, scenario.Messages - start);
                    var bodies = new byte[count][];
                    for (var i = 0; i < count; i++)
                    {
                        bodies[i] = Recorder.Payload(start + i, scenario.Size);
                    }

                    var now = Stopwatch.GetTimestamp();
                    confirms.Clear();
                    for (var i = 0; i < count; i++)
                    {
                        recorder.Sent(start + i, now);
                        confirms.Add(channel.BasicPublishAsync(string.Empty, _queue, true, properties, bodies[i]).AsTask());
                    }

                    await Task.WhenAll(confirms).ConfigureAwait(false);
                }

                break;
            case Mode.AwaitEach:
                for (var i = 0; i < scenario.Messages; i++)
                {
                    var body = Recorder.Payload(i, scenario.Size);
                    recorder.Sent(i, Stopwatch.GetTimestamp());
                    await channel.BasicPublishAsync(string.Empty, _queue, true, properties, body).ConfigureAwait(false);
                }

                break;
            default:
                for (var i = 0; i < scenario.Messages; i++)
                {
                    var handled = recorder.NextHandled();
                    var body = Recorder.Payload(i, scenario.Size);
                    recorder.Sent(i, Stopwatch.GetTimestamp());
                    await channel.BasicPublishAsync(string.Empty, _queue, true, properties, body).ConfigureAwait(false);
                    await handled.ConfigureAwait(false);
                }

                break;
        }
    }

    public async Task EndRunAsync()
    {
        if (_consumeChannel is { } channel)
        {
            await channel.QueueDeleteAsync(_queue).ConfigureAwait(false);
            await channel.CloseAsync().ConfigureAwait(false);
            await channel.DisposeAsync().ConfigureAwait(false);
            _consumeChannel = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_publishChannel is not null)
        {
            await _publishChannel.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var connection in new[] { _publishing, _consuming })
        {
            if (connection is not null)
            {
                await connection.CloseAsync().ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

/// <summary>
/// The adapter with tracing and metrics listened to during each run (<see cref="Shared.TelemetryListener"/>: every span
/// recorded, every measurement taken), beside the plain adapter, to report what telemetry costs per message.
/// </summary>
internal sealed class TracedAdapterPipeline(Uri uri) : IPipeline
{
    private readonly AdapterPipeline _inner = new(uri);
    private Shared.TelemetryListener? _listener;

    public string Name => "adapter traced";

    /// <summary>Spans recorded in the last run: a check that the listener saw the run.</summary>
    public long LastRunSpans { get; private set; }

    public Task StartRunAsync(string queue, Scenario scenario, Recorder recorder)
    {
        _listener = new Shared.TelemetryListener();
        return _inner.StartRunAsync(queue, scenario, recorder);
    }

    public Task ProduceAsync(Scenario scenario, Recorder recorder) => _inner.ProduceAsync(scenario, recorder);

    public async Task EndRunAsync()
    {
        await _inner.EndRunAsync();
        LastRunSpans = _listener?.Spans ?? 0;
        _listener?.Dispose();
        _listener = null;
    }

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}

using System.Diagnostics;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Tests.Telemetry;

/// <summary>What the instrumentation costs on the hot path: nothing while nobody listens.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class HotPathAllocationTests
{
    private static readonly Envelope Message = new("t", ReadOnlyMemory<byte>.Empty);

    [Fact]
    public async Task With_no_listener_an_instrumented_send_and_handler_run_allocate_nothing()
    {
        Assert.False(MessagingTelemetry.Source.HasListeners());
        var queue = ProducerTelemetry.Instrument(new CompletedQueue(), MessagingSystems.InMemory);
        var handler = new ConsumerTelemetry(MessagingSystems.InMemory).Instrument((_, _) => ValueTask.CompletedTask);
        var received = new ReceivedMessage(Message, "orders");
        await queue.SendAsync("orders", Message, TestContext.Current.CancellationToken);
        await handler(received, TestContext.Current.CancellationToken);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            await queue.SendAsync("orders", Message, CancellationToken.None);
            await handler(received, CancellationToken.None);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task With_a_listener_the_cost_per_send_and_handler_run_is_bounded()
    {
        using var recorder = new TelemetryRecorder(spans: true, metrics: true);
        var queue = ProducerTelemetry.Instrument(new CompletedQueue(), MessagingSystems.InMemory);
        var handler = new ConsumerTelemetry(MessagingSystems.InMemory).Instrument((_, _) => ValueTask.CompletedTask);
        var received = new ReceivedMessage(Message, "orders-measured");
        await queue.SendAsync("orders-measured", Message, TestContext.Current.CancellationToken);

        var before = GC.GetAllocatedBytesForCurrentThread();
        await queue.SendAsync("orders-measured", Message, CancellationToken.None);
        var send = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        await handler(received, CancellationToken.None);
        var process = GC.GetAllocatedBytesForCurrentThread() - before;

        TestContext.Current.TestOutputHelper?.WriteLine($"With a listener recording everything: {send} bytes per send, {process} bytes per handler run.");
        Assert.InRange(send, 1, 8 * 1024);
        Assert.InRange(process, 1, 8 * 1024);
        Assert.Null(Activity.Current);
    }

    /// <summary>A queue whose sends complete at once without allocating, so only the instrumentation is measured.</summary>
    private sealed class CompletedQueue : IQueue
    {
        public ValueTask SendAsync(string queue, Envelope message, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask SendBatchAsync(string queue, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public Task<IConsumer> ConsumeAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}

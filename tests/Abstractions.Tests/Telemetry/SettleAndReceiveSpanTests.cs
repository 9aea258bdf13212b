using System.Diagnostics;
using Messaging.Adapters.Tests.Transport;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Tests.Telemetry;

/// <summary>The engine's settle and receive spans on scripted receivers: what the conformance suite cannot provoke on a
/// real broker (a dead letter that cannot be stored) and the exact shape of a pulled batch.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class SettleAndReceiveSpanTests
{
    private const string Producer = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_dead_letter_that_cannot_be_stored_is_a_failed_settle_span_followed_by_the_nack_that_releases_it()
    {
        using var recorder = new TelemetryRecorder();
        var source = "settle-" + Guid.NewGuid().ToString("N");
        var receiver = new ScriptedReceiver { OnDeadLetter = _ => throw new InvalidOperationException("the dead-letter exchange is gone") };
        await using var engine = new ConsumerEngine<ScriptedReceiver.Item>(receiver, (_, _) => throw new FormatException("poison"), RetryPolicy.None, Settings(source));
        await engine.StartAsync(Ct);

        receiver.Sink.Dispatch(new ScriptedReceiver.Item(Traced(source, "m1"), receiver.Scope));
        await recorder.WaitForSpansAsync(a => Equals(a.GetTagItem("messaging.operation.type"), "settle") && Equals(a.GetTagItem("messaging.destination.name"), source), 2, Ct);

        var settles = recorder.SpansOf(source).Where(a => a.Kind == ActivityKind.Client).ToList();
        Assert.Equal([$"dead_letter {source}", $"nack {source}"], settles.Select(a => a.DisplayName));
        Assert.Equal(typeof(InvalidOperationException).FullName, settles[0].GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, settles[0].Status);
        Assert.Null(settles[1].GetTagItem("error.type"));
        Assert.All(settles, a =>
        {
            Assert.Equal("settle", a.GetTagItem("messaging.operation.type"));
            Assert.Equal("m1", a.GetTagItem("messaging.message.id"));
            Assert.Equal("test", a.GetTagItem("messaging.system"));
            Assert.Equal(ActivityContext.Parse(Producer, null).SpanId, a.ParentSpanId);
            Assert.Equal(ActivityContext.Parse(Producer, null).SpanId, Assert.Single(a.Links).Context.SpanId);
        });
        Assert.Equal(["release(1):m1"], receiver.Settled);
    }

    [Fact]
    public async Task A_pulled_batch_is_one_receive_span_with_the_brokers_operation_name_its_size_and_a_link_per_traced_message()
    {
        using var recorder = new TelemetryRecorder();
        var source = "receive-" + Guid.NewGuid().ToString("N");
        var receiver = new OneBatchReceiver(source);
        using var outer = new Activity("starts the consumer").Start();
        await using var engine = new ConsumerEngine<ScriptedReceiver.Item>(receiver, (_, _) => ValueTask.CompletedTask, RetryPolicy.None, Settings(source));
        await engine.StartAsync(Ct);
        await recorder.WaitForSpansAsync(a => Equals(a.GetTagItem("messaging.operation.type"), "settle") && Equals(a.GetTagItem("messaging.destination.name"), source), 3, Ct);

        var receive = Assert.Single(recorder.SpansOf(source), a => Equals(a.GetTagItem("messaging.operation.type"), "receive"));
        Assert.Equal($"receive {source}", receive.DisplayName);
        Assert.Equal(ActivityKind.Client, receive.Kind);
        Assert.Equal("fetch", receive.GetTagItem("messaging.operation.name"));
        Assert.Equal(3, receive.GetTagItem("messaging.batch.message_count"));
        Assert.Null(receive.GetTagItem("messaging.message.id"));

        // The request serves many traces: not the one that started the consumer, and a link per message that has one.
        Assert.Null(receive.ParentId);
        Assert.Equal(2, receive.Links.Count());
        Assert.All(receive.Links, l => Assert.Equal(ActivityContext.Parse(Producer, null).TraceId, l.Context.TraceId));
        Assert.Equal(3, recorder.SpansOf(source).Count(a => Equals(a.GetTagItem("messaging.operation.name"), "ack")));
    }

    private static ConsumerEngineSettings Settings(string source) => new()
    {
        Source = source,
        Transport = "Test",
        Capabilities = new TransportCapabilities { Streams = true, OrderingByKey = true, DelayedDelivery = true, MaxMessageSize = 1024 },
    };

    private static ReceivedMessage Traced(string source, string id) => new(
        new Envelope("test.message", ReadOnlyMemory<byte>.Empty) { Id = id }.WithHeader(MessagingTelemetry.TraceParentHeader, Producer), source);

    /// <summary>Brings three messages (two with trace context) on its first request, then nothing.</summary>
    private sealed class OneBatchReceiver(string source) : ScriptedReceiver, IPullingReceiver<ScriptedReceiver.Item>
    {
        private int _requests;

        public string ReceiveOperationName => "fetch";

        public async ValueTask ReceiveAsync(int maxCount, List<Item> into, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _requests) > 1)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            into.Add(new Item(Traced(source, "a"), Scope));
            into.Add(new Item(new ReceivedMessage(new Envelope("test.message", ReadOnlyMemory<byte>.Empty) { Id = "b" }, source), Scope));
            into.Add(new Item(Traced(source, "c"), Scope));
        }
    }
}

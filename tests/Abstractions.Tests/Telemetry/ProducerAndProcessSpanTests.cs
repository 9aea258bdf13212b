using System.Diagnostics;
using System.Text;
using Messaging.Adapters.InMemory;

namespace Messaging.Adapters.Tests.Telemetry;

/// <summary>Spans and trace context on the in-memory transport, which is built like every adapter: its producer side
/// wrapped by <see cref="Transport.ProducerTelemetry"/>, its consumers on the engine.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class ProducerAndProcessSpanTests
{
    private static readonly RetryPolicy TwoAttempts = new() { MaxAttempts = 2, ImmediateRetries = 1 };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sent_message_is_processed_in_the_producers_trace_as_its_child_with_a_link()
    {
        using var recorder = new TelemetryRecorder();
        await using var transport = new InMemoryTransport();
        var queue = "orders-" + Guid.NewGuid().ToString("N");
        var received = new TaskCompletionSource<(ReceivedMessage Message, string? Current)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await transport.Queue.ConsumeAsync(queue, (m, _) =>
        {
            received.TrySetResult((m, Activity.Current?.Id));
            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);
        var message = new Envelope("order.placed", Encoding.UTF8.GetBytes("{}")) { CorrelationId = "conversation-1" };

        await transport.Queue.SendAsync(queue, message, Ct);
        var (delivered, currentInHandler) = await received.Task.WaitAsync(Ct);
        await recorder.WaitForSpansAsync(a => Equals(a.GetTagItem("messaging.destination.name"), queue), 2, Ct);

        var spans = recorder.SpansOf(queue);
        var send = Assert.Single(spans, s => s.Kind == ActivityKind.Producer);
        var process = Assert.Single(spans, s => s.Kind == ActivityKind.Consumer);
        Assert.Equal("send " + queue, send.DisplayName);
        Assert.Equal("process " + queue, process.DisplayName);
        Assert.Equal(send.TraceId, process.TraceId);
        Assert.Equal(send.SpanId, process.ParentSpanId);
        var link = Assert.Single(process.Links);
        Assert.Equal(send.Context.SpanId, link.Context.SpanId);
        Assert.Equal(send.Context.TraceId, link.Context.TraceId);
        Assert.Equal(send.Id, delivered.Envelope.Headers[MessagingTelemetry.TraceParentHeader]);
        Assert.Equal(process.Id, currentInHandler);

        AssertTags(send, new()
        {
            ["messaging.system"] = "inmemory",
            ["messaging.operation.type"] = "send",
            ["messaging.operation.name"] = "send",
            ["messaging.destination.name"] = queue,
            ["messaging.message.id"] = message.Id,
            ["messaging.message.conversation_id"] = "conversation-1",
        });
        AssertTags(process, new()
        {
            ["messaging.system"] = "inmemory",
            ["messaging.operation.type"] = "process",
            ["messaging.operation.name"] = "process",
            ["messaging.destination.name"] = queue,
            ["messaging.message.id"] = message.Id,
            ["messaging.message.conversation_id"] = "conversation-1",
            ["messaging.adapters.attempt"] = 1,
        });
        Assert.Null(process.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Unset, process.Status);
    }

    [Fact]
    public async Task A_subscription_message_names_the_topic_the_subscription_and_its_queue()
    {
        using var recorder = new TelemetryRecorder();
        await using var transport = new InMemoryTransport();
        var topic = "placed-" + Guid.NewGuid().ToString("N");
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await transport.Subscriber.SubscribeAsync(topic, "billing", (_, _) =>
        {
            received.TrySetResult();
            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);

        await transport.Publisher.PublishAsync(topic, new Envelope("order.placed", ReadOnlyMemory<byte>.Empty), Ct);
        await received.Task.WaitAsync(Ct);
        await recorder.WaitForSpansAsync(a => Equals(a.GetTagItem("messaging.destination.name"), topic), 2, Ct);

        var spans = recorder.SpansOf(topic);
        var publish = Assert.Single(spans, s => s.Kind == ActivityKind.Producer);
        var process = Assert.Single(spans, s => s.Kind == ActivityKind.Consumer);
        Assert.Equal("publish " + topic, publish.DisplayName);
        Assert.Equal("publish", publish.GetTagItem("messaging.operation.name"));
        Assert.Equal("process " + topic, process.DisplayName);
        Assert.Equal("billing", process.GetTagItem("messaging.consumer.group.name"));
        Assert.Equal(DestinationNames.SubscriptionQueue(topic, "billing"), process.GetTagItem("messaging.destination.subscription.name"));
        Assert.Equal(publish.SpanId, process.ParentSpanId);
    }

    [Fact]
    public async Task A_batch_is_one_span_whose_context_every_message_carries()
    {
        using var recorder = new TelemetryRecorder();
        await using var transport = new InMemoryTransport();
        var queue = "batch-" + Guid.NewGuid().ToString("N");
        var carried = new System.Collections.Concurrent.ConcurrentBag<string>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await transport.Queue.ConsumeAsync(queue, (m, _) =>
        {
            carried.Add(m.Envelope.Headers[MessagingTelemetry.TraceParentHeader]);
            if (carried.Count == 3)
            {
                all.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);

        await transport.Queue.SendBatchAsync(queue, [.. Enumerable.Range(0, 3).Select(_ => new Envelope("t", ReadOnlyMemory<byte>.Empty))], Ct);
        await all.Task.WaitAsync(Ct);
        await recorder.WaitForSpansAsync(a => Equals(a.GetTagItem("messaging.destination.name"), queue), 4, Ct);

        var send = Assert.Single(recorder.SpansOf(queue), s => s.Kind == ActivityKind.Producer);
        Assert.Equal(3, send.GetTagItem("messaging.batch.message_count"));
        Assert.Null(send.GetTagItem("messaging.message.id"));
        Assert.All(carried, traceParent => Assert.Equal(send.Id, traceParent));
        Assert.All(recorder.SpansOf(queue).Where(s => s.Kind == ActivityKind.Consumer), p => Assert.Equal(send.SpanId, p.ParentSpanId));
    }

    [Fact]
    public async Task Every_attempt_and_the_dead_letter_stay_in_the_producers_trace_and_failures_carry_the_error_type()
    {
        using var recorder = new TelemetryRecorder();
        await using var transport = new InMemoryTransport();
        var queue = "failing-" + Guid.NewGuid().ToString("N");
        var deadLetterQueue = DestinationNames.DeadLetterQueue(queue);
        var deadLettered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var failing = await transport.Queue.ConsumeAsync(queue, (_, _) => throw new InvalidOperationException("no stock"), new ConsumerOptions { Retry = TwoAttempts }, Ct);
        await using var deadLetters = await transport.Queue.ConsumeAsync(deadLetterQueue, (_, _) =>
        {
            deadLettered.TrySetResult();
            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);

        await transport.Queue.SendAsync(queue, new Envelope("order.placed", ReadOnlyMemory<byte>.Empty), Ct);
        await deadLettered.Task.WaitAsync(Ct);
        await recorder.WaitForSpansAsync(a => Equals(a.GetTagItem("messaging.destination.name"), deadLetterQueue), 1, Ct);

        var send = Assert.Single(recorder.SpansOf(queue), s => s.Kind == ActivityKind.Producer);
        var attempts = recorder.SpansOf(queue).Where(s => s.Kind == ActivityKind.Consumer).OrderBy(s => s.GetTagItem("messaging.adapters.attempt")).ToList();
        Assert.Equal([1, 2], attempts.Select(a => (int)a.GetTagItem("messaging.adapters.attempt")!));
        Assert.All(attempts, a =>
        {
            Assert.Equal(send.TraceId, a.TraceId);
            Assert.Equal(typeof(InvalidOperationException).FullName, a.GetTagItem("error.type"));
            Assert.Equal(ActivityStatusCode.Error, a.Status);
        });
        var deadLetter = Assert.Single(recorder.SpansOf(deadLetterQueue), s => s.Kind == ActivityKind.Consumer);
        Assert.Equal(send.TraceId, deadLetter.TraceId);
        Assert.Equal(send.SpanId, deadLetter.ParentSpanId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-trace-parent")]
    public async Task A_message_without_a_valid_trace_context_starts_a_new_trace_and_is_handled(string? traceParent)
    {
        using var recorder = new TelemetryRecorder();
        await using var transport = new InMemoryTransport();
        var queue = "foreign-" + Guid.NewGuid().ToString("N");
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await transport.Queue.ConsumeAsync(queue, (_, _) =>
        {
            handled.TrySetResult();
            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);
        var headers = new Dictionary<string, object?>();
        if (traceParent is not null)
        {
            headers[MessagingTelemetry.TraceParentHeader] = traceParent;
        }

        using (var unrelated = new Activity("unrelated").Start())
        {
            transport.Broker.SendNative(queue, new InMemoryNativeMessage("{}"u8.ToArray()) { MessageId = "foreign-1", Headers = headers });
        }

        await handled.Task.WaitAsync(Ct);
        await recorder.WaitForSpansAsync(a => Equals(a.GetTagItem("messaging.destination.name"), queue), 1, Ct);

        var process = Assert.Single(recorder.SpansOf(queue), s => s.Kind == ActivityKind.Consumer);
        Assert.Equal(default, process.ParentSpanId);
        Assert.Null(process.ParentId);
        Assert.Empty(process.Links);
        Assert.Equal("foreign-1", process.GetTagItem("messaging.message.id"));
        Assert.Null(process.GetTagItem("error.type"));
    }

    [Fact]
    public async Task A_foreign_CloudEvent_continues_the_trace_of_its_traceparent_extension()
    {
        using var recorder = new TelemetryRecorder();
        await using var transport = new InMemoryTransport();
        var queue = "cloudevent-" + Guid.NewGuid().ToString("N");
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await transport.Queue.ConsumeAsync(queue, (_, _) =>
        {
            handled.TrySetResult();
            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);
        var producer = ActivityContext.Parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "vendor=x");

        transport.Broker.SendNative(queue, new InMemoryNativeMessage("{}"u8.ToArray())
        {
            MessageId = "event-1",
            Headers = new Dictionary<string, object?> { ["ce-traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ["ce-tracestate"] = "vendor=x" },
        });
        await handled.Task.WaitAsync(Ct);
        await recorder.WaitForSpansAsync(a => Equals(a.GetTagItem("messaging.destination.name"), queue), 1, Ct);

        var process = Assert.Single(recorder.SpansOf(queue), s => s.Kind == ActivityKind.Consumer);
        Assert.Equal(producer.TraceId, process.TraceId);
        Assert.Equal(producer.SpanId, process.ParentSpanId);
        Assert.Equal("vendor=x", process.TraceStateString);
        Assert.Equal(producer.SpanId, Assert.Single(process.Links).Context.SpanId);
    }

    [Fact]
    public async Task A_send_inside_an_activity_is_its_child_and_leaves_it_current()
    {
        using var recorder = new TelemetryRecorder();
        await using var transport = new InMemoryTransport();
        var queue = "nested-" + Guid.NewGuid().ToString("N");
        using var request = new Activity("incoming request").Start();

        await transport.Queue.SendAsync(queue, new Envelope("t", ReadOnlyMemory<byte>.Empty), Ct);

        Assert.Same(request, Activity.Current);
        var send = Assert.Single(recorder.SpansOf(queue));
        Assert.Equal(request.TraceId, send.TraceId);
        Assert.Equal(request.SpanId, send.ParentSpanId);
    }

    [Fact]
    public async Task A_failed_send_ends_its_span_with_the_error_type()
    {
        using var recorder = new TelemetryRecorder();
        await using var transport = new InMemoryTransport(new InMemoryTransportOptions { MaxMessageSize = 4 });
        var queue = "too-large-" + Guid.NewGuid().ToString("N");

        await Assert.ThrowsAsync<MessageTooLargeException>(async () => await transport.Queue.SendAsync(queue, new Envelope("t", new byte[5]), Ct));

        var send = Assert.Single(recorder.SpansOf(queue));
        Assert.Equal(typeof(MessageTooLargeException).FullName, send.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, send.Status);
    }

    [Fact]
    public async Task With_no_listener_no_activity_is_created_and_no_header_is_written()
    {
        Assert.False(MessagingTelemetry.Source.HasListeners());
        Assert.Null(Activity.Current);
        await using var transport = new InMemoryTransport();
        var queue = "quiet-" + Guid.NewGuid().ToString("N");
        var received = new TaskCompletionSource<(ReceivedMessage Message, Activity? Current)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await transport.Queue.ConsumeAsync(queue, (m, _) =>
        {
            received.TrySetResult((m, Activity.Current));
            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);

        await transport.Queue.SendAsync(queue, new Envelope("t", ReadOnlyMemory<byte>.Empty), Ct);
        var (message, current) = await received.Task.WaitAsync(Ct);

        Assert.Null(current);
        Assert.False(message.Envelope.Headers.ContainsKey(MessagingTelemetry.TraceParentHeader));
        Assert.False(message.Envelope.Headers.ContainsKey(MessagingTelemetry.TraceStateHeader));
    }

    private static void AssertTags(Activity activity, Dictionary<string, object> expected)
    {
        foreach (var (name, value) in expected)
        {
            Assert.True(Equals(value, activity.GetTagItem(name)), $"{activity.DisplayName}: {name} is '{activity.GetTagItem(name)}', expected '{value}'");
        }
    }
}

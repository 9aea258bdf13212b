using System.Diagnostics;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Tracing across the broker: the producer span and the process span of a message share one trace, the process span
/// is the producer's child and links to it, both carry the messaging attributes; a message keeps its trace through
/// retries (redeliveries included) and into its dead letter; a foreign message without trace context starts a new
/// trace and is handled like any other.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class TelemetryScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    private string ConsumerSystem => Fixture.Capabilities.MessagingSystem ?? Fixture.TransportName.ToLowerInvariant();

    [Fact]
    public async Task A_sent_message_is_processed_in_the_senders_trace_as_its_child_with_a_link()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("traced");
        using var spans = new SpanRecorder(queue);
        var log = NewLog($"queue {queue}");
        await scope.ConsumeAsync(queue, log.Handler);
        var message = Fixture.NewMessage() with { CorrelationId = $"{Fixture.RunId}-conversation" };

        await Transport.Queue.SendAsync(queue, message, Ct);

        await log.AssertReceivesExactlyAsync([message.Id], Fixture);
        await spans.WaitUntilAsync(s => s.Any(a => a.Kind == ActivityKind.Consumer), $"the process span of {queue}", Fixture);
        var send = Assert.Single(spans.Of(queue), a => a.Kind == ActivityKind.Producer);
        var process = Assert.Single(spans.Of(queue), a => a.Kind == ActivityKind.Consumer);
        Assert.Equal($"send {queue}", send.DisplayName);
        Assert.Equal($"process {queue}", process.DisplayName);
        AssertChildOf(send, process);
        Assert.Equal(send.Id, log.Deliveries[0].Envelope.Headers.GetValueOrDefault(MessagingTelemetry.TraceParentHeader));
        foreach (var span in new[] { send, process })
        {
            Assert.Equal(ConsumerSystem, span.GetTagItem("messaging.system"));
            Assert.Equal(queue, span.GetTagItem("messaging.destination.name"));
            Assert.Equal(message.Id, span.GetTagItem("messaging.message.id"));
            Assert.Equal(message.CorrelationId, span.GetTagItem("messaging.message.conversation_id"));
        }

        Assert.Equal("send", send.GetTagItem("messaging.operation.type"));
        Assert.Equal("process", process.GetTagItem("messaging.operation.type"));
        Assert.Equal(1, process.GetTagItem("messaging.adapters.attempt"));
        Assert.Null(process.GetTagItem("error.type"));
    }

    [Fact]
    public async Task A_published_message_is_processed_in_the_publishers_trace_by_every_subscription()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("traced");
        var billing = scope.NewSubscription(topic, "billing");
        var shipping = scope.NewSubscription(topic, "shipping");
        using var spans = new SpanRecorder(topic);
        var billed = NewLog("billing");
        var shipped = NewLog("shipping");
        await scope.SubscribeAsync(topic, billing, billed.Handler);
        await scope.SubscribeAsync(topic, shipping, shipped.Handler);
        var message = Fixture.NewMessage();

        await Transport.Publisher.PublishAsync(topic, message, Ct);

        await billed.AssertReceivesExactlyAsync([message.Id], Fixture);
        await shipped.AssertReceivesExactlyAsync([message.Id], Fixture);
        await spans.WaitUntilAsync(s => s.Count(a => a.Kind == ActivityKind.Consumer) >= 2, $"the process spans of {topic}", Fixture);
        var publish = Assert.Single(spans.Of(topic), a => a.Kind == ActivityKind.Producer);
        Assert.Equal($"publish {topic}", publish.DisplayName);
        Assert.Equal("publish", publish.GetTagItem("messaging.operation.name"));
        Assert.False(string.IsNullOrEmpty(publish.GetTagItem("messaging.system") as string));
        var processes = spans.Of(topic).Where(a => a.Kind == ActivityKind.Consumer).ToList();
        Assert.Equal(
            [billing, shipping],
            processes.Select(p => (string)p.GetTagItem("messaging.consumer.group.name")!).Order(StringComparer.Ordinal));
        Assert.All(processes, p =>
        {
            AssertChildOf(publish, p);
            Assert.Equal($"process {topic}", p.DisplayName);
            Assert.Equal(ConsumerSystem, p.GetTagItem("messaging.system"));
            Assert.Equal(message.Id, p.GetTagItem("messaging.message.id"));
        });
    }

    [Fact]
    public async Task A_retried_then_dead_lettered_message_keeps_its_trace_on_every_attempt_and_in_the_dead_letter()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("traced-failing");
        var deadLetterQueue = DestinationNames.DeadLetterQueue(queue);
        scope.Track(Destination.Queue(deadLetterQueue));
        using var spans = new SpanRecorder(queue, deadLetterQueue);
        var policy = Fixture.FastRetry;
        var deadLetters = NewLog("dead letters");
        await scope.ConsumeAsync(queue, (_, _) => throw new InvalidOperationException("always fails"), new ConsumerOptions { Retry = policy });
        await scope.ConsumeAsync(deadLetterQueue, deadLetters.Handler);
        var message = Fixture.NewMessage();

        await Transport.Queue.SendAsync(queue, message, Ct);

        await deadLetters.AssertReceivesExactlyAsync([message.Id], Fixture);
        await spans.WaitUntilAsync(
            s => s.Any(a => Equals(a.GetTagItem("messaging.destination.name"), deadLetterQueue))
                && s.Count(a => a.Kind == ActivityKind.Consumer && Equals(a.GetTagItem("messaging.destination.name"), queue)) >= policy.MaxAttempts,
            $"{policy.MaxAttempts} attempts on {queue} and the dead letter's process span",
            Fixture);
        var send = Assert.Single(spans.Of(queue), a => a.Kind == ActivityKind.Producer);
        var attempts = spans.Of(queue).Where(a => a.Kind == ActivityKind.Consumer).ToList();
        Assert.Equal(Enumerable.Range(1, policy.MaxAttempts), attempts.Select(a => (int)a.GetTagItem("messaging.adapters.attempt")!).Order());
        Assert.All(attempts, a =>
        {
            AssertChildOf(send, a);
            Assert.Equal(typeof(InvalidOperationException).FullName, a.GetTagItem("error.type"));
            Assert.Equal(ActivityStatusCode.Error, a.Status);
        });
        var deadLetter = Assert.Single(spans.Of(deadLetterQueue));
        AssertChildOf(send, deadLetter);
        Assert.Equal(send.Id, deadLetters.Deliveries[0].Envelope.Headers.GetValueOrDefault(MessagingTelemetry.TraceParentHeader));
    }

    [Fact]
    public async Task A_foreign_message_without_trace_context_starts_a_new_trace_and_is_handled()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("untraced");
        using var spans = new SpanRecorder(queue);
        var log = NewLog($"queue {queue}");
        await scope.ConsumeAsync(queue, log.Handler);
        var id = $"{Fixture.RunId}-untraced";

        await Fixture.SendForeignAsync(queue, new ForeignMessage("{}"u8.ToArray())
        {
            MessageId = id,
            Headers = new Dictionary<string, object?> { [TransportFixture.RunIdHeader] = Fixture.RunId },
        }, Ct);

        await log.WaitForCountAsync(1, Fixture.Timeout, Ct);
        await spans.WaitUntilAsync(s => s.Count >= 1, $"the process span of {queue}", Fixture);
        var process = Assert.Single(spans.Of(queue));
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Null(process.ParentId);
        Assert.Equal(default, process.ParentSpanId);
        Assert.Empty(process.Links);
        Assert.Equal(log.Deliveries[0].Envelope.Id, process.GetTagItem("messaging.message.id"));
        Assert.Null(process.GetTagItem("error.type"));
        Assert.False(log.Deliveries[0].Envelope.Headers.ContainsKey(MessagingTelemetry.TraceParentHeader));
        await log.AssertReceivesExactlyAsync([log.Deliveries[0].Envelope.Id], Fixture);
    }

    private static void AssertChildOf(Activity producer, Activity process)
    {
        Assert.Equal(producer.TraceId, process.TraceId);
        Assert.Equal(producer.SpanId, process.ParentSpanId);
        var link = Assert.Single(process.Links);
        Assert.Equal(producer.TraceId, link.Context.TraceId);
        Assert.Equal(producer.SpanId, link.Context.SpanId);
    }
}

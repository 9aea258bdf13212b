using System.Diagnostics;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Tracing across the broker: the producer span and the process span of a message share one trace, the process span
/// is the producer's child and links to it, both carry the messaging attributes; every delivery ends in a settle span
/// (ack, nack, retry, dead_letter) in the same trace; a pulling transport records a receive span per request that
/// links to the messages it brought, a push transport none; a message keeps its trace through retries (redeliveries
/// included) and into its dead letter; a foreign message without trace context starts a new trace and is handled like
/// any other.
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
        var receives = Fixture.ReceiveOperationName is null ? 0 : 1;
        await spans.WaitUntilAsync(
            s => s.Any(a => a.Kind == ActivityKind.Consumer) && s.Count(IsSettle) == 1 && s.Count(IsReceive) == receives,
            $"the process, settle and {receives} receive span(s) of {queue}",
            Fixture);
        var send = Assert.Single(spans.Of(queue), a => a.Kind == ActivityKind.Producer);
        var process = Assert.Single(spans.Of(queue), a => a.Kind == ActivityKind.Consumer);
        var settle = Assert.Single(spans.Of(queue), IsSettle);
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

        Assert.Equal($"ack {queue}", settle.DisplayName);
        Assert.Equal(ActivityKind.Client, settle.Kind);
        Assert.Equal("ack", settle.GetTagItem("messaging.operation.name"));
        Assert.Equal(ConsumerSystem, settle.GetTagItem("messaging.system"));
        Assert.Equal(queue, settle.GetTagItem("messaging.destination.name"));
        Assert.Equal(message.Id, settle.GetTagItem("messaging.message.id"));
        Assert.Null(settle.GetTagItem("error.type"));
        AssertChildOf(send, settle);
        AssertReceiveSpan(spans.Of(queue), queue, [send]);

        if (ConsumerSystem == MessagingSystems.RabbitMq)
        {
            // A queue is published to through the default exchange, with the queue's name as routing key.
            Assert.Equal(queue, send.GetTagItem("messaging.rabbitmq.destination.routing_key"));
            foreach (var span in new[] { process, settle })
            {
                Assert.Equal(queue, span.GetTagItem("messaging.rabbitmq.destination.routing_key"));
                Assert.True(span.GetTagItem("messaging.rabbitmq.message.delivery_tag") is long and > 0, $"{span.DisplayName} has no delivery tag");
            }

            Assert.Equal(process.GetTagItem("messaging.rabbitmq.message.delivery_tag"), settle.GetTagItem("messaging.rabbitmq.message.delivery_tag"));
        }
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

        // A topic's exchange fans out by no routing key, and the conventions set the attribute only when there is one.
        Assert.Null(publish.GetTagItem("messaging.rabbitmq.destination.routing_key"));
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
        var deadLetter = Assert.Single(spans.Of(deadLetterQueue), a => a.Kind == ActivityKind.Consumer);
        AssertChildOf(send, deadLetter);

        // Each delivery of the message ends in a settle span of its trace: a retry handed to the broker, or the dead
        // letter after the last attempt (retries the consumer holds itself settle nothing in between).
        await spans.WaitUntilAsync(s => s.Any(a => IsSettle(a) && Equals(a.GetTagItem("messaging.operation.name"), "dead_letter")), $"the dead_letter settle span of {queue}", Fixture);
        var settles = spans.Of(queue).Where(IsSettle).ToList();
        Assert.Equal("dead_letter", Assert.Single(settles, a => !Equals(a.GetTagItem("messaging.operation.name"), "retry")).GetTagItem("messaging.operation.name"));
        Assert.All(settles, a =>
        {
            AssertChildOf(send, a);
            Assert.Equal($"{a.GetTagItem("messaging.operation.name")} {queue}", a.DisplayName);
            Assert.Null(a.GetTagItem("error.type"));
        });
        Assert.Equal(send.Id, deadLetters.Deliveries[0].Envelope.Headers.GetValueOrDefault(MessagingTelemetry.TraceParentHeader));
    }

    [Fact]
    public async Task A_message_released_by_a_stopped_consumer_is_processed_again_in_the_senders_trace()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("traced-released");
        using var spans = new SpanRecorder(queue);
        var entered = NewLog("handler entered");
        var first = await scope.ConsumeAsync(queue, async (message, cancellationToken) =>
        {
            entered.Record(message);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        });
        var message = Fixture.NewMessage();
        await Transport.Queue.SendAsync(queue, message, Ct);
        await entered.WaitForAsync([message.Id], Fixture.Timeout, Ct);
        await Within(first.DisposeAsync().AsTask(), "the first consumer to be disposed while its handler was blocked");

        var next = NewLog("the next consumer");
        await scope.ConsumeAsync(queue, next.Handler);
        await next.AssertReceivesExactlyAsync([message.Id], Fixture);

        await spans.WaitUntilAsync(s => s.Count(a => a.Kind == ActivityKind.Consumer) >= 2, $"both process spans of {queue}", Fixture);
        var send = Assert.Single(spans.Of(queue), a => a.Kind == ActivityKind.Producer);
        var processes = spans.Of(queue).Where(a => a.Kind == ActivityKind.Consumer).ToList();
        Assert.Equal(2, processes.Count);
        Assert.All(processes, p => AssertChildOf(send, p));
        Assert.Equal(typeof(TaskCanceledException).FullName, processes[0].GetTagItem("error.type"));
        Assert.Null(processes[1].GetTagItem("error.type"));

        // The stopped consumer handed the message back (nack), the next one acknowledged it: both in the sender's trace.
        await spans.WaitUntilAsync(s => s.Count(IsSettle) >= 2, $"both settle spans of {queue}", Fixture);
        var settles = spans.Of(queue).Where(IsSettle).ToList();
        Assert.Equal(["nack", "ack"], settles.Select(a => (string)a.GetTagItem("messaging.operation.name")!));
        Assert.All(settles, a => AssertChildOf(send, a));
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
        await spans.WaitUntilAsync(s => s.Any(a => a.Kind == ActivityKind.Consumer) && s.Any(IsSettle), $"the process and settle spans of {queue}", Fixture);
        var process = Assert.Single(spans.Of(queue), a => a.Kind == ActivityKind.Consumer);
        var settle = Assert.Single(spans.Of(queue), IsSettle);
        Assert.Null(settle.ParentId);
        Assert.Empty(settle.Links);
        Assert.NotEqual(process.TraceId, settle.TraceId);
        Assert.Null(process.ParentId);
        Assert.Equal(default, process.ParentSpanId);
        Assert.Empty(process.Links);
        Assert.Equal(log.Deliveries[0].Envelope.Id, process.GetTagItem("messaging.message.id"));
        Assert.Null(process.GetTagItem("error.type"));
        Assert.False(log.Deliveries[0].Envelope.Headers.ContainsKey(MessagingTelemetry.TraceParentHeader));
        await log.AssertReceivesExactlyAsync([log.Deliveries[0].Envelope.Id], Fixture);
    }

    [Fact]
    public async Task An_appended_message_is_processed_in_the_appenders_trace_with_its_partition_and_reader_group()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("traced");
        var readerGroup = scope.NewReaderGroup(stream);
        using var spans = new SpanRecorder(stream);
        var log = NewLog($"stream {stream}");
        var message = Fixture.NewMessage() with { Key = "order-7" };

        await Transport.Stream.AppendAsync(stream, message, Ct);
        await scope.ReadAsync(stream, readerGroup, log.Handler, new StreamReadOptions { StartPosition = StreamPosition.Beginning });

        await log.AssertReceivesExactlyAsync([message.Id], Fixture);
        await spans.WaitUntilAsync(s => s.Any(a => a.Kind == ActivityKind.Consumer), $"the process span of {stream}", Fixture);
        var append = Assert.Single(spans.Of(stream), a => a.Kind == ActivityKind.Producer);
        var process = Assert.Single(spans.Of(stream), a => a.Kind == ActivityKind.Consumer);
        Assert.Equal($"append {stream}", append.DisplayName);
        Assert.Equal("append", append.GetTagItem("messaging.operation.name"));
        AssertChildOf(append, process);
        Assert.Equal(readerGroup, process.GetTagItem("messaging.consumer.group.name"));
        var delivery = log.Deliveries[0];
        Assert.Equal(delivery.StreamPartition?.ToString(System.Globalization.CultureInfo.InvariantCulture), process.GetTagItem("messaging.destination.partition.id"));
        if (ConsumerSystem == MessagingSystems.Kafka)
        {
            Assert.Equal(delivery.StreamOffset, process.GetTagItem("messaging.kafka.offset"));
            Assert.Equal("order-7", process.GetTagItem("messaging.kafka.message.key"));
        }
    }

    [Fact]
    public async Task Sends_handling_retries_dead_letters_and_in_flight_are_measured_by_destination()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("metered");
        var deadLetterQueue = DestinationNames.DeadLetterQueue(queue);
        scope.Track(Destination.Queue(deadLetterQueue));
        using var metrics = new MetricRecorder(queue);
        var policy = Fixture.FastRetry;
        var handled = NewLog("handled");
        var deadLetters = NewLog("dead letters");
        var consumer = await scope.ConsumeAsync(queue, (message, cancellationToken) =>
            message.Envelope.Type == "conformance.fails" ? throw new InvalidOperationException("always fails") : handled.Handler(message, cancellationToken),
            new ConsumerOptions { Retry = policy });
        await scope.ConsumeAsync(deadLetterQueue, deadLetters.Handler);
        var works = Fixture.NewMessage();
        var fails = Fixture.NewMessage("conformance.fails");

        await Transport.Queue.SendAsync(queue, works, Ct);
        await Transport.Queue.SendAsync(queue, fails, Ct);

        await handled.AssertReceivesExactlyAsync([works.Id], Fixture);
        await deadLetters.AssertReceivesExactlyAsync([fails.Id], Fixture);
        await consumer.StopAsync(Ct);
        var sent = metrics.Of("messaging.client.sent.messages", queue);
        Assert.Equal(2, sent.Sum(m => m.Value));
        Assert.All(sent, m =>
        {
            Assert.Equal("send", m.Tags.GetValueOrDefault("messaging.operation.name"));
            Assert.Equal(ConsumerSystem, m.Tags.GetValueOrDefault("messaging.system"));
        });
        Assert.Equal(2, metrics.Of("messaging.client.operation.duration", queue).Count);
        var consumed = metrics.Of("messaging.client.consumed.messages", queue);
        Assert.Equal(1 + policy.MaxAttempts, consumed.Sum(m => m.Value));
        Assert.Equal(policy.MaxAttempts, consumed.Count(m => Equals(m.Tags.GetValueOrDefault("error.type"), typeof(InvalidOperationException).FullName)));
        Assert.Equal(1 + policy.MaxAttempts, metrics.Of("messaging.process.duration", queue).Count);
        Assert.Equal(policy.MaxAttempts - 1, metrics.Of("messaging.adapters.consumer.retries", queue).Sum(m => m.Value));
        Assert.Equal(1, metrics.Of("messaging.adapters.consumer.dead_letters", queue).Sum(m => m.Value));
        var inFlight = metrics.Of("messaging.adapters.consumer.in_flight", queue);
        Assert.NotEmpty(inFlight);
        Assert.Equal(0, inFlight.Sum(m => m.Value));
    }

    private static bool IsSettle(Activity span) => Equals(span.GetTagItem("messaging.operation.type"), "settle");

    private static bool IsReceive(Activity span) => Equals(span.GetTagItem("messaging.operation.type"), "receive");

    /// <summary>On a pulling transport, one receive span brought the messages of <paramref name="producers"/>: a client
    /// span that starts a trace of its own, with the broker's operation name, the batch size and a link to each
    /// message's creation context. On a push transport there is none.</summary>
    private void AssertReceiveSpan(IReadOnlyList<Activity> spans, string destination, Activity[] producers)
    {
        var receives = spans.Where(IsReceive).ToList();
        if (Fixture.ReceiveOperationName is not { } operation)
        {
            Assert.Empty(receives);
            return;
        }

        var receive = Assert.Single(receives);
        Assert.Equal($"receive {destination}", receive.DisplayName);
        Assert.Equal(ActivityKind.Client, receive.Kind);
        Assert.Equal(operation, receive.GetTagItem("messaging.operation.name"));
        Assert.Equal(ConsumerSystem, receive.GetTagItem("messaging.system"));
        Assert.Equal(destination, receive.GetTagItem("messaging.destination.name"));
        Assert.Equal(producers.Length, receive.GetTagItem("messaging.batch.message_count"));
        Assert.Null(receive.ParentId);
        Assert.Equal(
            producers.Select(p => $"{p.TraceId}-{p.SpanId}").Order(StringComparer.Ordinal),
            receive.Links.Select(l => $"{l.Context.TraceId}-{l.Context.SpanId}").Order(StringComparer.Ordinal));
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

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// The message size limit: a body over <see cref="TransportCapabilities.MaxMessageSize"/> is refused before anything
/// is sent, a batch holding one is refused whole, and the transport stays usable afterwards. The batch limits: a
/// batch over <see cref="TransportCapabilities.MaxBatchEntries"/> or <see cref="TransportCapabilities.MaxBatchBytes"/>
/// is refused whole.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class LimitScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    [Fact]
    public async Task An_oversized_message_is_refused_on_a_queue_and_nothing_arrives()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("limits");
        var log = NewLog($"queue {queue}");
        await scope.ConsumeAsync(queue, log.Handler);
        var oversized = Oversized();

        var error = await Assert.ThrowsAsync<MessageTooLargeException>(async () => await Transport.Queue.SendAsync(queue, oversized, Ct));

        AssertNames(error, oversized, queue);
        await log.AssertReceivesNothingAsync(Fixture);
        var next = Fixture.NewMessage();
        await Transport.Queue.SendAsync(queue, next, Ct);
        await log.AssertReceivesExactlyAsync([next.Id], Fixture);
    }

    [Fact]
    public async Task An_oversized_message_is_refused_on_a_topic_and_nothing_arrives()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("limits");
        var subscription = scope.NewSubscription(topic, "limits");
        var log = NewLog($"subscription {subscription}");
        await scope.SubscribeAsync(topic, subscription, log.Handler);
        var oversized = Oversized();

        var error = await Assert.ThrowsAsync<MessageTooLargeException>(async () => await Transport.Publisher.PublishAsync(topic, oversized, Ct));

        AssertNames(error, oversized, topic);
        await log.AssertReceivesNothingAsync(Fixture);
        var next = Fixture.NewMessage();
        await Transport.Publisher.PublishAsync(topic, next, Ct);
        await log.AssertReceivesExactlyAsync([next.Id], Fixture);
    }

    [Fact]
    public async Task An_oversized_message_is_refused_on_a_stream_and_nothing_arrives()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("limits");
        var log = NewLog($"stream {stream}");
        await scope.ReadAsync(stream, scope.NewReaderGroup(stream), log.Handler);
        var oversized = Oversized();

        var error = await Assert.ThrowsAsync<MessageTooLargeException>(async () => await Transport.Stream.AppendAsync(stream, oversized, Ct));

        AssertNames(error, oversized, stream);
        await log.AssertReceivesNothingAsync(Fixture);
        var next = Fixture.NewMessage();
        await Transport.Stream.AppendAsync(stream, next, Ct);
        await log.AssertReceivesExactlyAsync([next.Id], Fixture);
    }

    [Fact]
    public async Task A_queue_batch_with_one_oversized_message_sends_none_of_it()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("limits-batch");
        var log = NewLog($"queue {queue}");
        await scope.ConsumeAsync(queue, log.Handler);
        var (batch, oversized) = BatchWithOneOversized();

        var error = await Assert.ThrowsAsync<MessageTooLargeException>(async () => await Transport.Queue.SendBatchAsync(queue, batch, Ct));

        AssertNames(error, oversized, queue);
        await log.AssertReceivesNothingAsync(Fixture);
        var valid = Fixture.NewMessages(5);
        await Transport.Queue.SendBatchAsync(queue, valid, Ct);
        await log.AssertReceivesExactlyAsync(IdsOf(valid), Fixture);
    }

    [Fact]
    public async Task A_topic_batch_with_one_oversized_message_publishes_none_of_it()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("limits-batch");
        var subscription = scope.NewSubscription(topic, "limits-batch");
        var log = NewLog($"subscription {subscription}");
        await scope.SubscribeAsync(topic, subscription, log.Handler);
        var (batch, oversized) = BatchWithOneOversized();

        var error = await Assert.ThrowsAsync<MessageTooLargeException>(async () => await Transport.Publisher.PublishBatchAsync(topic, batch, Ct));

        AssertNames(error, oversized, topic);
        await log.AssertReceivesNothingAsync(Fixture);
        var valid = Fixture.NewMessages(5);
        await Transport.Publisher.PublishBatchAsync(topic, valid, Ct);
        await log.AssertReceivesExactlyAsync(IdsOf(valid), Fixture);
    }

    [Fact]
    public async Task A_stream_batch_with_one_oversized_message_appends_none_of_it()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("limits-batch");
        var log = NewLog($"stream {stream}");
        await scope.ReadAsync(stream, scope.NewReaderGroup(stream), log.Handler);
        var (batch, oversized) = BatchWithOneOversized();

        var error = await Assert.ThrowsAsync<MessageTooLargeException>(async () => await Transport.Stream.AppendBatchAsync(stream, batch, Ct));

        AssertNames(error, oversized, stream);
        await log.AssertReceivesNothingAsync(Fixture);
        var valid = Fixture.NewMessages(5);
        await Transport.Stream.AppendBatchAsync(stream, valid, Ct);
        await log.AssertReceivesExactlyAsync(IdsOf(valid), Fixture);
    }

    [Fact]
    public async Task A_batch_over_MaxBatchEntries_is_refused_whole_on_a_queue_and_a_topic()
    {
        Capability.RequireLimit(Fixture, nameof(TransportCapabilities.MaxBatchEntries));
        var limit = Fixture.Capabilities.MaxBatchEntries!.Value;
        await AssertBatchRefusedWholeAsync(
            nameof(TransportCapabilities.MaxBatchEntries),
            () => Fixture.NewMessages(limit + 1),
            batch => (limit, batch.Count));
    }

    [Fact]
    public async Task A_batch_over_MaxBatchBytes_is_refused_whole_on_a_queue_and_a_topic()
    {
        Capability.RequireLimit(Fixture, nameof(TransportCapabilities.MaxBatchBytes));
        var limit = Fixture.Capabilities.MaxBatchBytes!.Value;

        // Messages as large as allowed, one more of them than the byte limit takes; each fits on its own.
        var bodySize = Math.Min(Fixture.Capabilities.MaxMessageSize, limit);
        var count = (limit / bodySize) + 1;
        Assert.True(
            count <= (Fixture.Capabilities.MaxBatchEntries ?? int.MaxValue),
            $"MaxBatchBytes ({limit}) cannot be exceeded by {Fixture.Capabilities.MaxBatchEntries} messages of at most {bodySize} bytes: the limit is unreachable.");
        await AssertBatchRefusedWholeAsync(
            nameof(TransportCapabilities.MaxBatchBytes),
            () => Fixture.NewMessages(count, (_, m) => m with { Body = new byte[bodySize] }),
            batch => (limit, batch.Sum(m => (long)m.Body.Length)));
    }

    private async Task AssertBatchRefusedWholeAsync(string capability, Func<IReadOnlyList<Envelope>> newBatch, Func<IReadOnlyList<Envelope>, (long Limit, long Actual)> expected)
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("batch-limit");
        var topic = scope.NewTopic("batch-limit");
        var subscription = scope.NewSubscription(topic, "batch-limit");
        var queueLog = NewLog($"queue {queue}");
        var subscriptionLog = NewLog($"subscription {subscription}");
        await scope.ConsumeAsync(queue, queueLog.Handler);
        await scope.SubscribeAsync(topic, subscription, subscriptionLog.Handler);
        var toQueue = newBatch();
        var toTopic = newBatch();

        var sendError = await Assert.ThrowsAsync<BatchTooLargeException>(async () => await Transport.Queue.SendBatchAsync(queue, toQueue, Ct));
        var publishError = await Assert.ThrowsAsync<BatchTooLargeException>(async () => await Transport.Publisher.PublishBatchAsync(topic, toTopic, Ct));

        AssertNames(sendError, queue, toQueue);
        AssertNames(publishError, topic, toTopic);
        await Task.WhenAll(queueLog.AssertReceivesNothingAsync(Fixture), subscriptionLog.AssertReceivesNothingAsync(Fixture));

        // The same messages, split to fit, all arrive: the refusal was about the batch, not its messages.
        await SendAllAsync(queue, toQueue);
        await PublishAllAsync(topic, toTopic);
        await Task.WhenAll(
            queueLog.AssertReceivesExactlyAsync(IdsOf(toQueue), Fixture),
            subscriptionLog.AssertReceivesExactlyAsync(IdsOf(toTopic), Fixture));

        void AssertNames(BatchTooLargeException error, string destination, IReadOnlyList<Envelope> batch)
        {
            Assert.Equal(capability, error.Capability);
            Assert.Equal(expected(batch), (error.Limit, error.Actual));
            Assert.Equal(destination, error.Destination);
        }
    }

    private Envelope Oversized() => Fixture.NewMessage("conformance.oversized") with { Body = new byte[Fixture.Capabilities.MaxMessageSize + 1] };

    private (List<Envelope> Batch, Envelope Oversized) BatchWithOneOversized()
    {
        var oversized = Oversized();
        List<Envelope> batch = [.. Fixture.NewMessages(3), oversized, .. Fixture.NewMessages(3)];
        return (batch, oversized);
    }

    private void AssertNames(MessageTooLargeException error, Envelope oversized, string destination)
    {
        Assert.Equal(Fixture.Capabilities.MaxMessageSize, error.Limit);
        Assert.Equal(oversized.Body.Length, error.Actual);
        Assert.Equal(oversized.Id, error.MessageId);
        Assert.Equal(destination, error.Destination);
    }
}

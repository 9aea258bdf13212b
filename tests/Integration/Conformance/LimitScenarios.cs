namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// The message size limit: a body over <see cref="TransportCapabilities.MaxMessageSize"/> is refused before anything
/// is sent, a batch holding one is refused whole, and the transport stays usable afterwards.
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

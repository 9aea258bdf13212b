namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Competing consumers: consumers of one queue, or of one subscription, share its messages; each message is
/// handled exactly once in total when nothing fails, and every consumer takes part.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class CompetingConsumersScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    private const int MessageCount = 1200;
    private const int ConsumerCount = 3;

    [Fact]
    public async Task Consumers_of_one_queue_handle_each_message_once_between_them()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("competing");
        await Transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        var (total, perConsumer) = NewLogs();
        var other = await Fixture.ConnectAnotherAsync(Ct);
        for (var i = 0; i < ConsumerCount; i++)
        {
            // One consumer works through another connection, as a second process of the application would.
            await scope.ConsumeAsync(queue, Handler(total, perConsumer[i]), new ConsumerOptions { MaxInFlight = 4 }, i == ConsumerCount - 1 ? other : null);
        }

        var messages = Fixture.NewMessages(MessageCount);
        await SendAllAsync(queue, messages);

        await total.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        AssertEveryConsumerTookPart(perConsumer);
    }

    [Fact]
    public async Task Consumers_of_one_subscription_handle_each_message_once_between_them()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("competing");
        var subscription = scope.NewSubscription(topic, "shared");
        await Transport.Topology.EnsureAsync(Destination.ForSubscription(topic, subscription), Ct);
        var (total, perConsumer) = NewLogs();
        var other = await Fixture.ConnectAnotherAsync(Ct);
        for (var i = 0; i < ConsumerCount; i++)
        {
            await scope.SubscribeAsync(topic, subscription, Handler(total, perConsumer[i]), new SubscriptionOptions { MaxInFlight = 4 }, i == ConsumerCount - 1 ? other : null);
        }

        var messages = Fixture.NewMessages(MessageCount);
        await PublishAllAsync(topic, messages);

        await total.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        AssertEveryConsumerTookPart(perConsumer);
    }

    [Fact]
    public async Task A_queue_keeps_messages_sent_before_any_consumer_started()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("backlog");
        var messages = Fixture.NewMessages(100);
        await SendAllAsync(queue, messages);

        var log = NewLog($"queue {queue}");
        await scope.ConsumeAsync(queue, log.Handler);

        await log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        Assert.All(log.Deliveries, d => Assert.Equal(queue, d.Source));
        Assert.All(log.Deliveries, d => Assert.Equal(1, d.Attempt));
        Assert.All(log.Deliveries, d => Assert.False(d.Redelivered, $"{d.Envelope.Id} was marked redelivered on its first delivery"));
    }

    private (DeliveryLog Total, DeliveryLog[] PerConsumer) NewLogs() =>
        (NewLog("all consumers together"), Enumerable.Range(1, ConsumerCount).Select(i => NewLog($"consumer {i}")).ToArray());

    private static MessageHandler Handler(DeliveryLog total, DeliveryLog mine) => async (message, cancellationToken) =>
    {
        // A little work per message, as real handlers do, so that one consumer cannot drain the backlog alone
        // before the others get their turn; the in-flight limit of 4 then forces sharing.
        await Task.Delay(1, cancellationToken);
        mine.Record(message);
        total.Record(message);
    };

    private static void AssertEveryConsumerTookPart(DeliveryLog[] perConsumer)
    {
        var counts = string.Join(", ", perConsumer.Select(l => $"{l.Name}: {l.Count}"));
        Assert.True(perConsumer.All(l => l.Count > 0), $"Every consumer should have handled some of the {MessageCount} messages; got {counts}.");
    }
}

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Publish/subscribe fan-out: every subscription of a topic gets its own copy of every message.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class FanOutScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    [Fact]
    public async Task Every_subscription_receives_every_message_once()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("fanout");
        var first = scope.NewSubscription(topic, "first");
        var second = scope.NewSubscription(topic, "second");
        await Transport.Topology.EnsureAsync(Destination.ForSubscription(topic, first), Ct);
        await Transport.Topology.EnsureAsync(Destination.ForSubscription(topic, second), Ct);
        var firstLog = NewLog($"subscription {first}");
        var secondLog = NewLog($"subscription {second}");
        await scope.SubscribeAsync(topic, first, firstLog.Handler);
        await scope.SubscribeAsync(topic, second, secondLog.Handler);

        var messages = Fixture.NewMessages(1000);
        await PublishAllAsync(topic, messages);

        await Task.WhenAll(
            firstLog.AssertReceivesExactlyAsync(IdsOf(messages), Fixture),
            secondLog.AssertReceivesExactlyAsync(IdsOf(messages), Fixture));
    }

    [Fact]
    public async Task Single_publishes_reach_every_subscription_with_the_topic_and_subscription_named()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("fanout");
        var subscriptions = new[] { scope.NewSubscription(topic, "a"), scope.NewSubscription(topic, "b"), scope.NewSubscription(topic, "c") };
        var logs = new List<DeliveryLog>();
        foreach (var subscription in subscriptions)
        {
            await Transport.Topology.EnsureAsync(Destination.ForSubscription(topic, subscription), Ct);
            var log = NewLog($"subscription {subscription}");
            logs.Add(log);
            await scope.SubscribeAsync(topic, subscription, log.Handler);
        }

        var messages = Fixture.NewMessages(20);
        foreach (var message in messages)
        {
            await Transport.Publisher.PublishAsync(topic, message, Ct);
        }

        await Task.WhenAll(logs.Select(log => log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture)));
        for (var i = 0; i < subscriptions.Length; i++)
        {
            foreach (var delivery in logs[i].Deliveries)
            {
                Assert.Equal(topic, delivery.Topic);
                Assert.Equal(subscriptions[i], delivery.Subscription);
                Assert.Equal(DestinationNames.SubscriptionQueue(topic, subscriptions[i]), delivery.Source);
            }
        }
    }
}

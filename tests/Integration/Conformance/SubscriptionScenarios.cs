namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Subscription lifetime: a subscription receives what is published after it exists, keeps it while no consumer
/// runs, and is created by the first subscribe when not provisioned ahead.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class SubscriptionScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    [Fact]
    public async Task A_new_subscription_does_not_receive_messages_published_before_it_existed()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("late");
        var early = scope.NewSubscription(topic, "early");
        var late = scope.NewSubscription(topic, "late");

        var beforeAnySubscription = Fixture.NewMessages(10);
        await PublishAllAsync(topic, beforeAnySubscription);
        await Transport.Topology.EnsureAsync(Destination.ForSubscription(topic, early), Ct);
        var beforeLate = Fixture.NewMessages(10);
        await PublishAllAsync(topic, beforeLate);
        await Transport.Topology.EnsureAsync(Destination.ForSubscription(topic, late), Ct);
        var afterBoth = Fixture.NewMessages(10);
        await PublishAllAsync(topic, afterBoth);

        var earlyLog = NewLog($"subscription {early}");
        var lateLog = NewLog($"subscription {late}");
        await scope.SubscribeAsync(topic, early, earlyLog.Handler);
        await scope.SubscribeAsync(topic, late, lateLog.Handler);

        await Task.WhenAll(
            earlyLog.AssertReceivesExactlyAsync(IdsOf([.. beforeLate, .. afterBoth]), Fixture),
            lateLog.AssertReceivesExactlyAsync(IdsOf(afterBoth), Fixture));
    }

    [Fact]
    public async Task Subscribing_creates_the_subscription_and_it_receives_what_is_published_afterwards()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("implicit");
        var subscription = scope.NewSubscription(topic, "implicit");
        var log = NewLog($"subscription {subscription}");
        await scope.SubscribeAsync(topic, subscription, log.Handler);

        var messages = Fixture.NewMessages(50);
        await PublishAllAsync(topic, messages);

        await log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
    }

    [Fact]
    public async Task A_subscription_keeps_messages_while_its_consumer_is_away()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("durable");
        var subscription = scope.NewSubscription(topic, "durable");
        var firstLog = NewLog("first consumer");
        var first = await scope.SubscribeAsync(topic, subscription, firstLog.Handler);
        var whilePresent = Fixture.NewMessages(20);
        await PublishAllAsync(topic, whilePresent);
        await firstLog.AssertReceivesExactlyAsync(IdsOf(whilePresent), Fixture);
        await Within(first.StopAsync(Ct), "the first consumer to stop");

        var whileAway = Fixture.NewMessages(30);
        await PublishAllAsync(topic, whileAway);
        var secondLog = NewLog("consumer after the break");
        await scope.SubscribeAsync(topic, subscription, secondLog.Handler);

        await secondLog.AssertReceivesExactlyAsync(IdsOf(whileAway), Fixture);
        firstLog.AssertExactlyOnce(IdsOf(whilePresent));
    }

    [Fact]
    public async Task Publishing_to_a_topic_without_subscriptions_succeeds_and_reaches_nobody()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("nobody");
        var unheard = Fixture.NewMessages(5);
        await PublishAllAsync(topic, unheard);
        await Transport.Publisher.PublishAsync(topic, Fixture.NewMessage(), Ct);

        var subscription = scope.NewSubscription(topic, "afterwards");
        var log = NewLog($"subscription {subscription}");
        await scope.SubscribeAsync(topic, subscription, log.Handler);
        await log.AssertReceivesNothingAsync(Fixture);
    }
}

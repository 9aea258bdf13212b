namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// The in-flight limit: a consumer never runs more handlers at once than <see cref="ConsumerOptions.MaxInFlight"/>,
/// and with a backlog it does use more than one.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class InFlightLimitScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    [Fact]
    public async Task A_queue_consumer_never_exceeds_its_in_flight_limit()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("limited");
        var messages = Fixture.NewMessages(200);
        await SendAllAsync(queue, messages);
        var gauge = new ConcurrencyGauge();
        var log = NewLog("limited consumer");
        await scope.ConsumeAsync(queue, Measured(gauge, log), new ConsumerOptions { MaxInFlight = 4 });

        await log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        Assert.InRange(gauge.Max, 2, 4);
    }

    [Fact]
    public async Task A_consumer_limited_to_one_handles_one_message_at_a_time()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("serial");
        var messages = Fixture.NewMessages(50);
        await SendAllAsync(queue, messages);
        var gauge = new ConcurrencyGauge();
        var log = NewLog("serial consumer");
        await scope.ConsumeAsync(queue, Measured(gauge, log), new ConsumerOptions { MaxInFlight = 1 });

        await log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        Assert.Equal(1, gauge.Max);
    }

    [Fact]
    public async Task Two_consumers_of_one_queue_each_keep_their_own_limit()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("limited-pair");
        await Transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        var total = new ConcurrencyGauge();
        var gauges = new[] { new ConcurrencyGauge(), new ConcurrencyGauge() };
        var logs = new[] { NewLog("consumer 1"), NewLog("consumer 2") };
        var all = NewLog("both consumers");
        var other = await Fixture.ConnectAnotherAsync(Ct);
        for (var i = 0; i < 2; i++)
        {
            var (gauge, log) = (gauges[i], logs[i]);
            await scope.ConsumeAsync(
                queue,
                async (message, cancellationToken) =>
                {
                    using (total.Enter())
                    using (gauge.Enter())
                    {
                        await Task.Delay(3, cancellationToken);
                    }

                    log.Record(message);
                    all.Record(message);
                },
                new ConsumerOptions { MaxInFlight = 3 },
                i == 1 ? other : null);
        }

        var messages = Fixture.NewMessages(300);
        await SendAllAsync(queue, messages);

        await all.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        Assert.All(gauges, g => Assert.InRange(g.Max, 1, 3));
        Assert.InRange(total.Max, 2, 6);
        Assert.All(logs, l => Assert.True(l.Count > 0, $"{l.Name} handled nothing."));
    }

    [Fact]
    public async Task A_subscription_consumer_never_exceeds_its_in_flight_limit()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("limited");
        var subscription = scope.NewSubscription(topic, "limited");
        await Transport.Topology.EnsureAsync(Destination.ForSubscription(topic, subscription), Ct);
        var messages = Fixture.NewMessages(200);
        await PublishAllAsync(topic, messages);
        var gauge = new ConcurrencyGauge();
        var log = NewLog("limited subscription consumer");
        await scope.SubscribeAsync(topic, subscription, Measured(gauge, log), new SubscriptionOptions { MaxInFlight = 4 });

        await log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        Assert.InRange(gauge.Max, 2, 4);
    }

    private static MessageHandler Measured(ConcurrencyGauge gauge, DeliveryLog log) => async (message, cancellationToken) =>
    {
        using (gauge.Enter())
        {
            // Long enough for a backlog to fill every in-flight slot.
            await Task.Delay(3, cancellationToken);
        }

        log.Record(message);
    };
}

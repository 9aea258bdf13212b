namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Subscription filters: a filtered subscription receives exactly the matching messages, whether the broker or
/// the consumer applies the filter, and other subscriptions of the topic are not affected.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class FilteringScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    private static readonly string[] Types = ["order.placed", "order.cancelled", "order.shipped"];
    private static readonly string[] Regions = ["eu", "us", "EU", "eu-west", "Zürich"];

    [Fact]
    public async Task A_type_filter_keeps_exactly_the_listed_types()
    {
        var filter = SubscriptionFilter.ForTypes("order.placed", "order.cancelled");
        await AssertFilterKeepsExactlyTheMatchesAsync(filter);
    }

    [Fact]
    public async Task A_header_filter_keeps_exactly_the_messages_with_that_value()
    {
        await AssertFilterKeepsExactlyTheMatchesAsync(SubscriptionFilter.ForHeader("region", "eu"));
        await AssertFilterKeepsExactlyTheMatchesAsync(SubscriptionFilter.ForHeader("region", "Zürich"));
    }

    [Fact]
    public async Task A_type_and_header_filter_keeps_messages_matching_both()
    {
        var filter = new SubscriptionFilter
        {
            MessageTypes = ["order.shipped"],
            Headers = new Dictionary<string, string> { ["region"] = "us" },
        };
        await AssertFilterKeepsExactlyTheMatchesAsync(filter);
    }

    [Fact]
    public async Task Without_server_side_filtering_the_consumer_acknowledges_unmatched_messages_without_handling_them()
    {
        Capability.RequireMissing(Fixture, nameof(TransportCapabilities.ServerSideFiltering));
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("consumer-filtered");
        var subscription = scope.NewSubscription(topic, "consumer-filtered");
        var filter = SubscriptionFilter.ForTypes("order.placed");
        await Transport.Topology.EnsureAsync(Destination.ForSubscription(topic, subscription, filter), Ct);
        var filteredLog = NewLog($"subscription {subscription} with a filter");
        var consumer = await scope.SubscribeAsync(topic, subscription, filteredLog.Handler, new SubscriptionOptions { Filter = filter });
        var messages = Fixture.NewMessages(20, (i, m) => m with { Type = Types[i % Types.Length] });

        await PublishAllAsync(topic, messages);
        await filteredLog.AssertReceivesExactlyAsync(IdsOf(messages.Where(filter.Matches)), Fixture);
        await consumer.DisposeAsync();

        // Had the unmatched messages been left unacknowledged, a consumer of the subscription without a filter
        // would get them now.
        var leftoversLog = NewLog($"subscription {subscription} after the filtered consumer stopped");
        await scope.SubscribeAsync(topic, subscription, leftoversLog.Handler);
        await leftoversLog.AssertReceivesNothingAsync(Fixture);
    }

    private async Task AssertFilterKeepsExactlyTheMatchesAsync(SubscriptionFilter filter)
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("filtered");
        var filtered = scope.NewSubscription(topic, "filtered");
        var everything = scope.NewSubscription(topic, "everything");
        await Transport.Topology.EnsureAsync(Destination.ForSubscription(topic, filtered, filter), Ct);
        await Transport.Topology.EnsureAsync(Destination.ForSubscription(topic, everything), Ct);
        var filteredLog = NewLog($"subscription {filtered} with a filter");
        var everythingLog = NewLog($"subscription {everything} without a filter");
        await scope.SubscribeAsync(topic, filtered, filteredLog.Handler, new SubscriptionOptions { Filter = filter });
        await scope.SubscribeAsync(topic, everything, everythingLog.Handler);

        // Every combination of type and region, and messages without the region header at all.
        var messages = Fixture.NewMessages(Types.Length * (Regions.Length + 1) * 4, (i, m) =>
        {
            var typed = m with { Type = Types[i % Types.Length] };
            var region = (i / Types.Length) % (Regions.Length + 1);
            return region == Regions.Length ? typed : typed.WithHeader("region", Regions[region]);
        });
        await PublishAllAsync(topic, messages);

        var matching = messages.Where(filter.Matches).ToList();
        Assert.NotEmpty(matching);
        Assert.NotEqual(messages.Count, matching.Count);
        await Task.WhenAll(
            filteredLog.AssertReceivesExactlyAsync(IdsOf(matching), Fixture),
            everythingLog.AssertReceivesExactlyAsync(IdsOf(messages), Fixture));
    }
}

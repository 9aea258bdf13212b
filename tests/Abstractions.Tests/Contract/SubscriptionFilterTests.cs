namespace Messaging.Adapters.Tests.Contract;

public sealed class SubscriptionFilterTests
{
    private static readonly Envelope Placed = new Envelope("order.placed", ReadOnlyMemory<byte>.Empty)
        .WithHeaders([new("region", "eu"), new("priority", "high")]);

    [Fact]
    public void An_empty_filter_keeps_every_message()
    {
        Assert.True(new SubscriptionFilter().Matches(Placed));
        Assert.True(new SubscriptionFilter().Matches(new Envelope("anything", ReadOnlyMemory<byte>.Empty)));
    }

    [Fact]
    public void A_type_filter_keeps_only_the_listed_types_compared_ordinally()
    {
        var filter = SubscriptionFilter.ForTypes("order.placed", "order.cancelled");

        Assert.True(filter.Matches(Placed));
        Assert.True(filter.Matches(new Envelope("order.cancelled", ReadOnlyMemory<byte>.Empty)));
        Assert.False(filter.Matches(new Envelope("order.shipped", ReadOnlyMemory<byte>.Empty)));
        Assert.False(filter.Matches(new Envelope("Order.Placed", ReadOnlyMemory<byte>.Empty)));
    }

    [Fact]
    public void A_header_filter_needs_the_header_with_exactly_that_value()
    {
        var filter = SubscriptionFilter.ForHeader("region", "eu");

        Assert.True(filter.Matches(Placed));
        Assert.False(filter.Matches(Placed.WithHeader("region", "EU")));
        Assert.False(filter.Matches(Placed.WithHeader("region", "eu ")));
        Assert.False(filter.Matches(new Envelope("order.placed", ReadOnlyMemory<byte>.Empty)));
        Assert.False(filter.Matches(new Envelope("order.placed", ReadOnlyMemory<byte>.Empty).WithHeader("Region", "eu")));
    }

    [Fact]
    public void Every_part_of_a_combined_filter_must_match()
    {
        var filter = new SubscriptionFilter
        {
            MessageTypes = ["order.placed"],
            Headers = new Dictionary<string, string> { ["region"] = "eu", ["priority"] = "high" },
        };

        Assert.True(filter.Matches(Placed));
        Assert.False(filter.Matches(Placed.WithHeader("priority", "low")));
        Assert.False(filter.Matches(Placed with { Type = "order.shipped" }));
        Assert.False(filter.Matches(new Envelope("order.placed", ReadOnlyMemory<byte>.Empty).WithHeader("region", "eu")));
    }

    [Fact]
    public void Matches_rejects_a_null_message()
    {
        Assert.Throws<ArgumentNullException>(() => new SubscriptionFilter().Matches(null!));
    }

    [Fact]
    public void Filters_with_the_same_types_in_another_order_are_equivalent()
    {
        var a = SubscriptionFilter.ForTypes("a", "b", "c");
        var b = SubscriptionFilter.ForTypes("c", "a", "b", "a");

        Assert.True(a.IsEquivalentTo(b));
        Assert.True(b.IsEquivalentTo(a));
    }

    [Fact]
    public void Filters_with_the_same_headers_are_equivalent_though_not_equal_records()
    {
        var a = SubscriptionFilter.ForHeader("region", "eu");
        var b = SubscriptionFilter.ForHeader("region", "eu");

        Assert.True(a.IsEquivalentTo(b));
        Assert.True(new SubscriptionFilter().IsEquivalentTo(new SubscriptionFilter()));
    }

    public static TheoryData<string, SubscriptionFilter, SubscriptionFilter> DifferentFilters => new()
    {
        { "another type", SubscriptionFilter.ForTypes("a"), SubscriptionFilter.ForTypes("b") },
        { "a type more", SubscriptionFilter.ForTypes("a"), SubscriptionFilter.ForTypes("a", "b") },
        { "types against none", SubscriptionFilter.ForTypes("a"), new SubscriptionFilter() },
        { "type case", SubscriptionFilter.ForTypes("a"), SubscriptionFilter.ForTypes("A") },
        { "another header value", SubscriptionFilter.ForHeader("region", "eu"), SubscriptionFilter.ForHeader("region", "us") },
        { "another header name", SubscriptionFilter.ForHeader("region", "eu"), SubscriptionFilter.ForHeader("zone", "eu") },
        {
            "a header more",
            SubscriptionFilter.ForHeader("region", "eu"),
            new SubscriptionFilter { Headers = new Dictionary<string, string> { ["region"] = "eu", ["priority"] = "high" } }
        },
        { "headers against types", SubscriptionFilter.ForHeader("region", "eu"), SubscriptionFilter.ForTypes("region") },
    };

    [Theory]
    [MemberData(nameof(DifferentFilters))]
    public void Filters_that_keep_different_messages_are_not_equivalent(string difference, SubscriptionFilter a, SubscriptionFilter b)
    {
        Assert.False(a.IsEquivalentTo(b), difference);
        Assert.False(b.IsEquivalentTo(a), difference);
    }

    [Fact]
    public void No_filter_is_equivalent_to_null()
    {
        Assert.False(new SubscriptionFilter().IsEquivalentTo(null));
    }
}

using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Tests.Transport;

public sealed class ConsumerSideFilterTests
{
    [Fact]
    public async Task Unmatched_messages_complete_without_calling_the_handler_and_matched_ones_reach_it_unchanged()
    {
        var seen = new List<ReceivedMessage>();
        using var cts = new CancellationTokenSource();
        CancellationToken tokenSeen = default;
        var filtered = ConsumerSideFilter.Wrap(
            (message, ct) =>
            {
                seen.Add(message);
                tokenSeen = ct;
                return ValueTask.CompletedTask;
            },
            SubscriptionFilter.ForHeader("region", "eu"));
        var eu = new ReceivedMessage(new Envelope("t", ReadOnlyMemory<byte>.Empty).WithHeader("region", "eu"), "orders.billing");
        var us = new ReceivedMessage(new Envelope("t", ReadOnlyMemory<byte>.Empty).WithHeader("region", "us"), "orders.billing");
        var none = new ReceivedMessage(new Envelope("t", ReadOnlyMemory<byte>.Empty), "orders.billing");

        await filtered(us, cts.Token);
        await filtered(none, cts.Token);
        await filtered(eu, cts.Token);

        Assert.Same(eu, Assert.Single(seen));
        Assert.Equal(cts.Token, tokenSeen);
    }

    [Fact]
    public async Task A_matched_message_whose_handler_fails_still_fails()
    {
        var filtered = ConsumerSideFilter.Wrap((_, _) => throw new InvalidOperationException("boom"), SubscriptionFilter.ForTypes("order.placed"));

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await filtered(new ReceivedMessage(new Envelope("order.placed", ReadOnlyMemory<byte>.Empty), "q"), TestContext.Current.CancellationToken));
        await filtered(new ReceivedMessage(new Envelope("order.cancelled", ReadOnlyMemory<byte>.Empty), "q"), TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Without_a_filter_the_handler_is_returned_as_it_is()
    {
        MessageHandler handler = (_, _) => ValueTask.CompletedTask;

        Assert.Same(handler, ConsumerSideFilter.Wrap(handler, null));
        Assert.Throws<ArgumentNullException>(() => ConsumerSideFilter.Wrap(null!, null));
    }
}

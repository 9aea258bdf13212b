namespace Messaging.Adapters.Tests.Contract;

public sealed class ContractOptionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public void ConsumerOptions_reject_an_in_flight_limit_out_of_range_naming_the_options_class(int maxInFlight)
    {
        var consumer = Assert.Throws<ArgumentOutOfRangeException>(() => new ConsumerOptions { MaxInFlight = maxInFlight }.Validate());
        var subscription = Assert.Throws<ArgumentOutOfRangeException>(() => new SubscriptionOptions { MaxInFlight = maxInFlight }.Validate());

        Assert.Equal("MaxInFlight", consumer.ParamName);
        Assert.Contains($"ConsumerOptions.MaxInFlight must be 1..10000, was {maxInFlight}.", consumer.Message, StringComparison.Ordinal);
        Assert.Contains($"SubscriptionOptions.MaxInFlight must be 1..10000, was {maxInFlight}.", subscription.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConsumerOptions_reject_an_undefined_ordering_and_check_their_retry_policy()
    {
        var ordering = Assert.Throws<ArgumentOutOfRangeException>(() => new ConsumerOptions { Ordering = (MessageOrdering)7 }.Validate());
        var retry = Assert.Throws<ArgumentOutOfRangeException>(() => new ConsumerOptions { Retry = new RetryPolicy { MaxAttempts = 0 } }.Validate());

        Assert.Contains("None, ByKey", ordering.Message, StringComparison.Ordinal);
        Assert.Equal("MaxAttempts", retry.ParamName);
        new ConsumerOptions { MaxInFlight = 1 }.Validate();
        new ConsumerOptions { MaxInFlight = 10_000, Ordering = MessageOrdering.ByKey, Retry = RetryPolicy.None }.Validate();
    }

    [Fact]
    public void StreamReadOptions_reject_a_bad_checkpoint_interval_and_a_negative_offset()
    {
        var every = Assert.Throws<ArgumentOutOfRangeException>(() => new StreamReadOptions { CheckpointEvery = 0 }.Validate());
        var offset = Assert.Throws<ArgumentOutOfRangeException>(() => new StreamReadOptions { StartPosition = StreamPosition.AtOffset(-1) }.Validate());

        Assert.Contains("StreamReadOptions.CheckpointEvery must be 1..1000000, was 0.", every.Message, StringComparison.Ordinal);
        Assert.Contains("was -1", offset.Message, StringComparison.Ordinal);
        new StreamReadOptions { CheckpointEvery = 1_000_000, StartPosition = StreamPosition.AtOffset(0) }.Validate();
    }

    [Fact]
    public void ReceivedMessage_WithAttempt_keeps_every_delivery_fact()
    {
        var envelope = new Envelope("t", ReadOnlyMemory<byte>.Empty);
        var first = new ReceivedMessage(envelope, "s", 1, redelivered: true) { Topic = "top", Subscription = "sub", StreamPartition = 2, StreamOffset = 99 };

        var third = first.WithAttempt(3);

        Assert.Equal(3, third.Attempt);
        Assert.Equal(1, first.Attempt);
        Assert.Same(envelope, third.Envelope);
        Assert.Equal("s", third.Source);
        Assert.True(third.Redelivered);
        Assert.Equal("top", third.Topic);
        Assert.Equal("sub", third.Subscription);
        Assert.Equal(2, third.StreamPartition);
        Assert.Equal(99, third.StreamOffset);
    }

    [Fact]
    public void ReceivedMessage_rejects_an_attempt_below_one_and_an_empty_source()
    {
        var envelope = new Envelope("t", ReadOnlyMemory<byte>.Empty);

        Assert.Throws<ArgumentOutOfRangeException>(() => new ReceivedMessage(envelope, "s", 0));
        Assert.Throws<ArgumentException>(() => new ReceivedMessage(envelope, ""));
    }
}

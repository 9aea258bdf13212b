using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Tests.Transport;

public sealed class CapabilityGuardTests
{
    private static readonly TransportCapabilities Nothing = new() { MaxMessageSize = 1024 };

    private static readonly TransportCapabilities Everything = Nothing with
    {
        Streams = true,
        StreamStartAtTime = true,
        OrderingByKey = true,
        DelayedDelivery = true,
        ServerSideFiltering = true,
    };

    [Fact]
    public void Ordering_by_key_is_refused_without_the_capability_naming_it_and_the_transport()
    {
        var ex = Assert.Throws<CapabilityNotSupportedException>(
            () => CapabilityGuard.EnsureConsumer(Nothing, "Aws", new ConsumerOptions { Ordering = MessageOrdering.ByKey }));

        Assert.Equal(nameof(TransportCapabilities.OrderingByKey), ex.Capability);
        Assert.Equal("Aws", ex.Transport);
        Assert.Contains("TransportCapabilities.OrderingByKey", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Aws", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_subscription_asking_for_ordering_is_refused_the_same_way()
    {
        var ex = Assert.Throws<CapabilityNotSupportedException>(
            () => CapabilityGuard.EnsureConsumer(Nothing, "Aws", new SubscriptionOptions { Ordering = MessageOrdering.ByKey, Filter = SubscriptionFilter.ForTypes("t") }));

        Assert.Equal(nameof(TransportCapabilities.OrderingByKey), ex.Capability);
    }

    [Fact]
    public void Consumers_that_ask_for_nothing_missing_start()
    {
        CapabilityGuard.EnsureConsumer(Nothing, "Aws", new ConsumerOptions());
        CapabilityGuard.EnsureConsumer(Everything, "InMemory", new ConsumerOptions { Ordering = MessageOrdering.ByKey });
    }

    [Fact]
    public void A_destination_that_offers_more_than_its_transport_is_checked_on_its_own_capabilities()
    {
        // What an SQS adapter does for a FIFO queue: the guard takes the destination's value, not the transport's.
        ITransport transport = new FifoSuffixTransport(Nothing);
        var ordered = new ConsumerOptions { Ordering = MessageOrdering.ByKey };

        CapabilityGuard.EnsureConsumer(transport.CapabilitiesOf("orders.fifo"), transport.Name, ordered);
        Assert.Throws<CapabilityNotSupportedException>(() => CapabilityGuard.EnsureConsumer(transport.CapabilitiesOf("orders"), transport.Name, ordered));
    }

    [Fact]
    public void The_default_capabilities_of_a_destination_are_the_transports()
    {
        ITransport transport = new UniformTransport(Nothing);

        Assert.Same(transport.Capabilities, transport.CapabilitiesOf("orders.fifo"));
    }

    [Theory]
    [InlineData(StreamPositionKind.Beginning)]
    [InlineData(StreamPositionKind.End)]
    [InlineData(StreamPositionKind.Offset)]
    [InlineData(StreamPositionKind.Time)]
    public void Every_stream_read_is_refused_without_streams(StreamPositionKind kind)
    {
        var ex = Assert.Throws<CapabilityNotSupportedException>(
            () => CapabilityGuard.EnsureStreamRead(Nothing with { StreamStartAtTime = true }, "Aws", new StreamReadOptions { StartPosition = Position(kind) }));

        Assert.Equal(nameof(TransportCapabilities.Streams), ex.Capability);
        Assert.Equal("Aws", ex.Transport);
    }

    [Fact]
    public void A_read_from_a_time_is_refused_without_StreamStartAtTime_even_when_a_checkpoint_would_win()
    {
        var streamsOnly = Nothing with { Streams = true };
        var options = new StreamReadOptions { StartPosition = StreamPosition.AtTime(DateTimeOffset.UnixEpoch), ResumeFromCheckpoint = true };

        var ex = Assert.Throws<CapabilityNotSupportedException>(() => CapabilityGuard.EnsureStreamRead(streamsOnly, "Kafka", options));

        Assert.Equal(nameof(TransportCapabilities.StreamStartAtTime), ex.Capability);
        Assert.Equal("Kafka", ex.Transport);
    }

    [Theory]
    [InlineData(StreamPositionKind.Beginning)]
    [InlineData(StreamPositionKind.End)]
    [InlineData(StreamPositionKind.Offset)]
    public void Reads_from_other_positions_need_only_streams(StreamPositionKind kind)
    {
        CapabilityGuard.EnsureStreamRead(Nothing with { Streams = true }, "Kafka", new StreamReadOptions { StartPosition = Position(kind) });
    }

    [Fact]
    public void A_read_from_a_time_starts_where_it_is_offered()
    {
        CapabilityGuard.EnsureStreamRead(Everything, "RabbitMq", new StreamReadOptions { StartPosition = StreamPosition.AtTime(DateTimeOffset.UnixEpoch) });
    }

    [Fact]
    public void Without_delayed_delivery_every_consumer_holds_its_delayed_retries()
    {
        Assert.True(CapabilityGuard.HoldsDelayedRetries(Nothing, RetryPolicy.Default));
        Assert.False(CapabilityGuard.HoldsDelayedRetries(Everything, RetryPolicy.Default));
    }

    public static TheoryData<string, RetryPolicy, bool> PoliciesAgainstFifteenMinutes => new()
    {
        // Default: 5 attempts, 2 immediate, then 1 s and 2 s.
        { "the default policy", RetryPolicy.Default, false },
        { "no retries", RetryPolicy.None, false },
        { "only immediate retries", new RetryPolicy { MaxAttempts = 4, ImmediateRetries = 3, InitialDelay = TimeSpan.FromDays(1), MaxDelay = TimeSpan.FromDays(1) }, false },
        { "exactly the limit", new RetryPolicy { MaxAttempts = 2, ImmediateRetries = 0, InitialDelay = TimeSpan.FromMinutes(15), MaxDelay = TimeSpan.FromDays(1) }, false },
        { "one tick over on the first delay", new RetryPolicy { MaxAttempts = 2, ImmediateRetries = 0, InitialDelay = TimeSpan.FromMinutes(15) + TimeSpan.FromTicks(1), MaxDelay = TimeSpan.FromDays(1) }, true },

        // 10, 20, 40 minutes, then capped at an hour: over only from the third delay on.
        { "over after backoff", new RetryPolicy { MaxAttempts = 5, ImmediateRetries = 0, InitialDelay = TimeSpan.FromMinutes(10), MaxDelay = TimeSpan.FromHours(1) }, true },

        // A cap of a day that the attempts never reach: 1 and 2 minutes.
        { "a high cap never reached", new RetryPolicy { MaxAttempts = 3, ImmediateRetries = 0, InitialDelay = TimeSpan.FromMinutes(1), MaxDelay = TimeSpan.FromDays(1) }, false },
    };

    [Theory]
    [MemberData(nameof(PoliciesAgainstFifteenMinutes))]
    public void With_a_maximum_delay_a_consumer_holds_its_retries_when_its_policy_can_ask_for_longer(string what, RetryPolicy policy, bool holds)
    {
        var sqs = Everything with { MaxDelay = TimeSpan.FromMinutes(15) };

        Assert.True(holds == CapabilityGuard.HoldsDelayedRetries(sqs, policy), $"{what}: expected holds = {holds}");
        Assert.False(CapabilityGuard.HoldsDelayedRetries(Everything, policy), $"{what}: no maximum delay, nothing held");
    }

    [Fact]
    public void The_guard_rejects_null_arguments()
    {
        Assert.Throws<ArgumentNullException>(() => CapabilityGuard.EnsureConsumer(null!, "t", new ConsumerOptions()));
        Assert.Throws<ArgumentNullException>(() => CapabilityGuard.EnsureConsumer(Nothing, "t", null!));
        Assert.Throws<ArgumentNullException>(() => CapabilityGuard.EnsureStreamRead(Nothing, "t", null!));
        Assert.Throws<ArgumentNullException>(() => CapabilityGuard.HoldsDelayedRetries(Nothing, null!));
    }

    private static StreamPosition Position(StreamPositionKind kind) => kind switch
    {
        StreamPositionKind.Beginning => StreamPosition.Beginning,
        StreamPositionKind.End => StreamPosition.End,
        StreamPositionKind.Offset => StreamPosition.AtOffset(3),
        _ => StreamPosition.AtTime(DateTimeOffset.UnixEpoch),
    };

    /// <summary>A transport whose destinations are all alike: it leaves <see cref="ITransport.CapabilitiesOf"/> to the default.</summary>
    private class UniformTransport(TransportCapabilities capabilities) : ITransport
    {
        public string Name => "Aws";

        public TransportCapabilities Capabilities => capabilities;

        public IPublisher Publisher => throw new NotSupportedException();

        public ISubscriber Subscriber => throw new NotSupportedException();

        public IQueue Queue => throw new NotSupportedException();

        public IStream Stream => new UnsupportedStream(Name);

        public ITopology Topology => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>A transport whose <c>*.fifo</c> destinations keep order by key, as SQS FIFO queues do.</summary>
    private sealed class FifoSuffixTransport(TransportCapabilities capabilities) : UniformTransport(capabilities), ITransport
    {
        public TransportCapabilities CapabilitiesOf(string destination) =>
            destination.EndsWith(".fifo", StringComparison.Ordinal) ? Capabilities with { OrderingByKey = true } : Capabilities;
    }
}

using Messaging.Adapters.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Adapters.Tests.Capabilities;

/// <summary>The in-memory transport standing in for smaller brokers: its capability options and what they switch.</summary>
public sealed class InMemoryCapabilityOptionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task By_default_every_capability_is_on_and_nothing_is_limited_but_the_message_size()
    {
        await using var transport = new InMemoryTransport();

        Assert.Equal(
            new TransportCapabilities
            {
                Streams = true,
                StreamStartAtTime = true,
                OrderingByKey = true,
                DelayedDelivery = true,
                ServerSideFiltering = true,
                QueueInspection = true,
                Durable = false,
                TemporaryQueues = true,
                MaxMessageSize = 256 * 1024,
            },
            transport.Capabilities);
        Assert.IsNotType<UnsupportedStream>(transport.Stream);
    }

    [Fact]
    public async Task Capabilities_turned_off_in_configuration_are_declared_off_and_refused()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "InMemory",
            ["Messaging:InMemory:Streams"] = "false",
            ["Messaging:InMemory:OrderingByKey"] = "false",
            ["Messaging:InMemory:DelayedDelivery"] = "false",
            ["Messaging:InMemory:ServerSideFiltering"] = "false",
            ["Messaging:InMemory:QueueInspection"] = "false",
            ["Messaging:InMemory:MaxDelay"] = "00:15:00",
            ["Messaging:InMemory:MaxBatchEntries"] = "10",
            ["Messaging:InMemory:MaxBatchBytes"] = "262144",
        }).Build();
        await using var provider = new ServiceCollection().AddMessaging(configuration).BuildServiceProvider();
        var transport = provider.GetRequiredService<ITransport>();

        Assert.Equal(
            new TransportCapabilities
            {
                TemporaryQueues = true,
                MaxMessageSize = 256 * 1024,
                MaxDelay = TimeSpan.FromMinutes(15),
                MaxBatchEntries = 10,
                MaxBatchBytes = 256 * 1024,
            },
            transport.Capabilities);
        Assert.IsType<UnsupportedStream>(transport.Stream);
        var ordering = await Assert.ThrowsAsync<CapabilityNotSupportedException>(
            () => transport.Queue.ConsumeAsync("orders", (_, _) => ValueTask.CompletedTask, new ConsumerOptions { Ordering = MessageOrdering.ByKey }, Ct));
        Assert.Equal(nameof(TransportCapabilities.OrderingByKey), ordering.Capability);
        await Assert.ThrowsAsync<BatchTooLargeException>(async () => await transport.Queue.SendBatchAsync("orders", [.. Enumerable.Range(0, 11).Select(_ => new Envelope("t", ReadOnlyMemory<byte>.Empty))], Ct));
        Assert.Equal(0, ((InMemoryTransport)transport).Broker.CountReady("orders"));
    }

    [Fact]
    public async Task A_read_from_a_time_is_refused_when_only_StreamStartAtTime_is_off()
    {
        await using var transport = new InMemoryTransport(new InMemoryTransportOptions { StreamStartAtTime = false });

        var ex = await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => transport.Stream.ReadAsync(
            "events", "g", (_, _) => ValueTask.CompletedTask, new StreamReadOptions { StartPosition = StreamPosition.AtTime(DateTimeOffset.UnixEpoch) }, Ct));

        Assert.Equal(nameof(TransportCapabilities.StreamStartAtTime), ex.Capability);
        Assert.Equal("InMemory", ex.Transport);
        await using var reader = await transport.Stream.ReadAsync("events", "g", (_, _) => ValueTask.CompletedTask, new StreamReadOptions { StartPosition = StreamPosition.Beginning }, Ct);
    }

    [Fact]
    public async Task Without_streams_there_is_no_reading_from_a_time_either()
    {
        await using var transport = new InMemoryTransport(new InMemoryTransportOptions { Streams = false });

        Assert.False(transport.Capabilities.StreamStartAtTime);
    }

    [Theory]
    [InlineData(nameof(InMemoryTransportOptions.MaxBatchEntries))]
    [InlineData(nameof(InMemoryTransportOptions.MaxBatchBytes))]
    [InlineData(nameof(InMemoryTransportOptions.MaxDelay))]
    public void An_out_of_range_limit_is_refused_by_the_constructor_naming_the_option(string option)
    {
        var options = option switch
        {
            nameof(InMemoryTransportOptions.MaxBatchEntries) => new InMemoryTransportOptions { MaxBatchEntries = 0 },
            nameof(InMemoryTransportOptions.MaxBatchBytes) => new InMemoryTransportOptions { MaxBatchBytes = -1 },
            _ => new InMemoryTransportOptions { MaxDelay = TimeSpan.FromDays(2) },
        };

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryTransport(options));

        Assert.Contains($"InMemoryTransportOptions.{option} must be", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_server_side_filtering_the_subscription_queue_takes_every_message_and_the_consumer_filters()
    {
        await using var transport = new InMemoryTransport(new InMemoryTransportOptions { ServerSideFiltering = false });
        var filter = SubscriptionFilter.ForTypes("order.placed");
        var handled = new List<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await transport.Topology.EnsureAsync(Destination.ForSubscription("orders", "billing", filter), Ct);

        // Before any consumer: the broker's queue holds both messages, so the filter was not applied when publishing.
        await transport.Publisher.PublishBatchAsync("orders", [new Envelope("order.cancelled", ReadOnlyMemory<byte>.Empty), new Envelope("order.placed", ReadOnlyMemory<byte>.Empty)], Ct);
        Assert.Equal(2, transport.Broker.CountReady("orders.billing"));

        await using var consumer = await transport.Subscriber.SubscribeAsync(
            "orders",
            "billing",
            (message, _) =>
            {
                handled.Add(message.Envelope.Type);
                done.TrySetResult();
                return ValueTask.CompletedTask;
            },
            new SubscriptionOptions { Filter = filter },
            Ct);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(["order.placed"], handled);
    }
}

using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Messaging.Adapters.Tests.Hosting.TypedConsumerTests;

namespace Messaging.Adapters.Tests.Hosting;

public sealed class ConsumerConfigurationTests
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_consumer_retry_policy_from_configuration_wins_and_takes_what_it_leaves_out_from_Messaging_Retry()
    {
        using var host = BuildHost(
            services => services.AddQueueConsumer<OrderPlaced, FailingHandler>("orders", new ConsumerOptions { Retry = RetryPolicy.None }),
            ("Messaging:Retry:MaxAttempts", "5"),
            ("Messaging:Retry:ImmediateRetries", "4"),
            ("Messaging:Consumers:orders:Retry:MaxAttempts", "3"));
        var settings = host.Services.GetRequiredService<IOptions<MessagingOptions>>().Value.Consumers["orders"].Retry!;
        Assert.Equal((3, 4), (settings.MaxAttempts, settings.ImmediateRetries));
        await host.StartAsync(TestToken);
        var queue = host.Services.GetRequiredService<IQueue>();
        var deadLetters = Channel.CreateUnbounded<ReceivedMessage>();
        await using var reader = await queue.ConsumeAsync(DestinationNames.DeadLetterQueue("orders"), (m, ct) => deadLetters.Writer.WriteAsync(m, ct), cancellationToken: TestToken);

        await queue.SendAsync("orders", new OrderPlaced("o-1", 1m, [], DateTimeOffset.UtcNow), host.Services.GetRequiredService<MessageCodec>(), cancellationToken: TestToken);
        var dead = await deadLetters.Reader.ReadAsync(TestToken).AsTask().WaitAsync(WaitLimit, TestToken);

        // The code said no retries; the configuration says 3 attempts, all immediate (Messaging:Retry:ImmediateRetries).
        Assert.Equal("3", dead.Envelope.Headers[EnvelopeHeaders.DeadLetterAttempts]);
        Assert.Equal(3, host.Services.GetRequiredService<HandledIds>().Count);
        await host.StopAsync(TestToken);
    }

    [Fact]
    public async Task A_bad_consumer_retry_value_stops_start_up_naming_its_key()
    {
        using var host = BuildHost(
            services => services.AddQueueConsumer<OrderPlaced, FailingHandler>("orders"),
            ("Messaging:Consumers:orders:Retry:MaxAttempts", "0"),
            ("Messaging:Consumers:orders:Count", "500"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestToken));

        Assert.Contains("Messaging:Consumers:orders:Retry:MaxAttempts must be 1..1000, was 0.", error.Message, StringComparison.Ordinal);
        Assert.Contains("Messaging:Consumers:orders:Count must be 1..100, was 500.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_consumer_name_no_hosted_consumer_has_stops_start_up_with_the_nearest_one()
    {
        using var host = BuildHost(
            services => services.AddSubscription<OrderPlaced, FailingHandler>("orders", "billing"),
            ("Messaging:Consumers:orders.biling:Count", "2"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestToken));

        Assert.Contains("Messaging:Consumers:orders.biling names no hosted consumer", error.Message, StringComparison.Ordinal);
        Assert.Contains("Did you mean Messaging:Consumers:orders.billing?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mistyped_key_under_a_consumer_stops_start_up_with_the_nearest_one()
    {
        var error = Assert.Throws<MessagingConfigurationException>(() => BuildHost(
            services => services.AddQueueConsumer<OrderPlaced, FailingHandler>("orders"),
            ("Messaging:Consumers:orders:Retyr:MaxAttempts", "3")));

        Assert.Equal("Messaging:Consumers:orders:Retyr", error.Key);
        Assert.Contains("Did you mean Messaging:Consumers:orders:Retry?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_consumer_count_comes_from_configuration()
    {
        var gate = new ConcurrencyGate(3);
        using var host = BuildHost(
            services => services.AddSingleton(gate).AddQueueConsumer<OrderPlaced, GatedHandler>("orders", new ConsumerOptions { MaxInFlight = 1 }),
            ("Messaging:Consumers:orders:Count", "3"));
        await host.StartAsync(TestToken);
        var queue = host.Services.GetRequiredService<IQueue>();
        var codec = host.Services.GetRequiredService<MessageCodec>();

        for (var i = 0; i < 3; i++)
        {
            await queue.SendAsync("orders", new OrderPlaced(i.ToString(CultureInfo.InvariantCulture), 1m, [], DateTimeOffset.UtcNow), codec, cancellationToken: TestToken);
        }

        await gate.AllInFlight.Task.WaitAsync(WaitLimit, TestToken);
        gate.Release.SetResult();
        await host.StopAsync(TestToken);
    }

    [Fact]
    public async Task An_idempotent_consumer_from_configuration_handles_a_message_id_once()
    {
        using var host = BuildHost(
            services => services.AddQueueConsumer<OrderPlaced, OrderHandler>("orders"),
            ("Messaging:Consumers:orders:Idempotent", "true"));
        await host.StartAsync(TestToken);
        var queue = host.Services.GetRequiredService<IQueue>();
        var order = host.Services.GetRequiredService<MessageCodec>().Encode(new OrderPlaced("o-1", 1m, [], DateTimeOffset.UtcNow));

        await queue.SendAsync("orders", order with { Id = "twice" }, TestToken);
        await queue.SendAsync("orders", order with { Id = "twice" }, TestToken);
        await queue.SendAsync("orders", order with { Id = "once" }, TestToken);

        await AssertHandledExactlyAsync(host.Services.GetRequiredService<HandledIds>(), "twice", "once");
        await host.StopAsync(TestToken);
    }

    [Fact]
    public async Task An_idempotent_typed_subscription_from_code_handles_a_message_id_once()
    {
        using var host = BuildHost(services => services
            .Configure<MessagingOptions>(o => o.Consumers["orders.billing"] = new ConsumerSettings { Idempotent = true })
            .AddSubscription<OrderPlaced, OrderHandler>("orders", "billing"));
        await host.StartAsync(TestToken);
        var publisher = host.Services.GetRequiredService<IPublisher>();
        var order = host.Services.GetRequiredService<MessageCodec>().Encode(new OrderPlaced("o-1", 1m, [], DateTimeOffset.UtcNow));

        await publisher.PublishAsync("orders", order with { Id = "twice" }, TestToken);
        await publisher.PublishAsync("orders", order with { Id = "twice" }, TestToken);
        await publisher.PublishAsync("orders", order with { Id = "once" }, TestToken);

        await AssertHandledExactlyAsync(host.Services.GetRequiredService<HandledIds>(), "twice", "once");
        await host.StopAsync(TestToken);
    }

    /// <summary>Waits for one handling per id, then a while longer for any duplicate.</summary>
    internal static async Task AssertHandledExactlyAsync(HandledIds handled, params string[] ids)
    {
        var seen = new List<string>();
        foreach (var _ in ids)
        {
            seen.Add(await handled.NextAsync());
        }

        await Task.Delay(300, TestToken);
        Assert.Equal(ids.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Length, handled.Count);
    }

    internal sealed class FailingHandler(HandledIds handled) : IMessageHandler<OrderPlaced>
    {
        public ValueTask HandleAsync(OrderPlaced message, ReceivedMessage context, CancellationToken cancellationToken)
        {
            handled.Add(context.Envelope.Id);
            throw new InvalidOperationException("card declined");
        }
    }
}

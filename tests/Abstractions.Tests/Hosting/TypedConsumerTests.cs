using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.Tests.Hosting;

public sealed class TypedConsumerTests
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public void A_typed_filter_names_classes_as_the_type_map_does()
    {
        Assert.Equal(["order.placed"], SubscriptionFilter.ForTypes<OrderPlaced>().MessageTypes);
        Assert.Equal(["order.placed", typeof(InvoiceIssued).FullName!], SubscriptionFilter.ForTypes<OrderPlaced, InvoiceIssued>().MessageTypes);
        Assert.Equal(["order.placed", typeof(InvoiceIssued).FullName!, "shipment.sent"], SubscriptionFilter.ForTypes<OrderPlaced, InvoiceIssued, ShipmentSent>().MessageTypes);
        var map = new MessageTypeMap();
        Assert.Equal(map.GetName(typeof(InvoiceIssued)), Assert.Single(SubscriptionFilter.ForTypes<InvoiceIssued>().MessageTypes));
    }

    [Fact]
    public async Task A_subscription_filter_that_keeps_a_type_no_handler_takes_stops_start_up_naming_the_type()
    {
        using var host = BuildHost(services => services.AddSubscription<OrderPlaced, OrderHandler>(
            "orders",
            "billing",
            new SubscriptionOptions { Filter = SubscriptionFilter.ForTypes("order.placed", "order.shiped") }));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(TestToken));

        Assert.Contains("'order.shiped'", error.Message, StringComparison.Ordinal);
        Assert.Contains("subscription 'billing' of topic 'orders'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_typed_subscription_keeps_the_header_filter_and_narrows_it_to_its_type()
    {
        using var host = BuildHost(services => services.AddSubscription<OrderPlaced, OrderHandler>(
            "orders",
            "eu-billing",
            new SubscriptionOptions { Filter = SubscriptionFilter.ForHeader("region", "eu") }));
        await host.StartAsync(TestToken);
        var publisher = host.Services.GetRequiredService<IPublisher>();
        var codec = host.Services.GetRequiredService<MessageCodec>();
        var handled = host.Services.GetRequiredService<HandledIds>();
        var order = codec.Encode(new OrderPlaced("o-1", 1m, [], DateTimeOffset.UtcNow));

        await publisher.PublishAsync("orders", order.WithHeader("region", "us"), TestToken);
        await publisher.PublishAsync("orders", (order with { Id = "other-type" }).WithHeader("region", "eu") with { Type = "order.shipped" }, TestToken);
        var kept = order with { Id = "kept" };
        await publisher.PublishAsync("orders", kept.WithHeader("region", "eu"), TestToken);

        Assert.Equal("kept", await handled.NextAsync());
        await host.StopAsync(TestToken);
        Assert.Equal(1, handled.Count);
    }

    [Fact]
    public async Task A_string_filter_naming_a_type_nothing_declares_is_a_warning_at_start()
    {
        var logs = new RecordingLogs();
        using var host = BuildHost(services => services
            .AddLogging(b => b.AddProvider(logs))
            .AddSubscription("orders", "audit", _ => (_, _) => ValueTask.CompletedTask, new SubscriptionOptions
            {
                Filter = SubscriptionFilter.ForTypes("order.placed", "order.plaecd", "shipment.sent"),
            }));

        await host.StartAsync(TestToken);
        await host.StopAsync(TestToken);

        var warning = Assert.Single(logs.Warnings, w => w.Contains("keeps message type", StringComparison.Ordinal));
        Assert.Contains("'order.plaecd'", warning, StringComparison.Ordinal);
        Assert.Contains("subscription 'audit' of topic 'orders'", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_class_can_have_one_handler_per_consumer()
    {
        var services = new ServiceCollection();

        var error = Assert.Throws<ArgumentException>(() => services.AddQueueConsumer("orders", h => h
            .Handle<OrderPlaced, OrderHandler>()
            .Handle<OrderPlaced, OrderHandler>()));

        Assert.Contains(typeof(OrderPlaced).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => services.AddSubscription("orders", "billing", _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => services.AddQueueConsumer<OrderPlaced, OrderHandler>("orders", consumers: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => services.AddSubscription<OrderPlaced, OrderHandler>("orders", "billing", consumers: 101));
    }

    [Fact]
    public async Task Consumers_starts_that_many_competing_consumers_each_with_its_own_in_flight_limit()
    {
        var gate = new ConcurrencyGate(3);
        using var host = BuildHost(services => services
            .AddSingleton(gate)
            .AddQueueConsumer<OrderPlaced, GatedHandler>("orders", new ConsumerOptions { MaxInFlight = 1 }, consumers: 3));
        await host.StartAsync(TestToken);
        var queue = host.Services.GetRequiredService<IQueue>();
        var codec = host.Services.GetRequiredService<MessageCodec>();

        for (var i = 0; i < 3; i++)
        {
            await queue.SendAsync("orders", new OrderPlaced($"o-{i}", 1m, [], DateTimeOffset.UtcNow), codec, cancellationToken: TestToken);
        }

        // Each consumer takes one message at a time: three in flight at once means three consumers.
        await gate.AllInFlight.Task.WaitAsync(WaitLimit, TestToken);
        gate.Release.SetResult();
        await host.StopAsync(TestToken);
    }

    [Fact]
    public async Task A_hosted_service_registered_before_AddMessaging_publishes_in_its_start_and_the_subscription_receives_it()
    {
        // The order of the .NET worker template: the application's Worker first, messaging after it.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("Messaging:Transport", "InMemory")]);
        builder.Services.AddHostedService<PublishesOnStart>();
        builder.Services.AddMessaging(builder.Configuration);
        builder.Services.AddSingleton<HandledIds>().AddSubscription<OrderPlaced, OrderHandler>("orders", "billing");
        using var host = builder.Build();

        await host.StartAsync(TestToken);

        Assert.Equal("first", await host.Services.GetRequiredService<HandledIds>().NextAsync());
        await host.StopAsync(TestToken);
    }

    internal static IHost BuildHost(Action<IServiceCollection> configure, params (string Key, string Value)[] values)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(values.Prepend((Key: "Messaging:Transport", Value: "InMemory")).Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
        builder.Services.AddMessaging(builder.Configuration);
        builder.Services.AddSingleton<HandledIds>();
        configure(builder.Services);
        return builder.Build();
    }

    /// <summary>The ids the handlers saw, in order.</summary>
    internal sealed class HandledIds
    {
        private readonly System.Threading.Channels.Channel<string> _ids = System.Threading.Channels.Channel.CreateUnbounded<string>();
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add(string id)
        {
            Interlocked.Increment(ref _count);
            _ids.Writer.TryWrite(id);
        }

        public Task<string> NextAsync() => _ids.Reader.ReadAsync(TestToken).AsTask().WaitAsync(WaitLimit, TestToken);
    }

    internal sealed class OrderHandler(HandledIds handled) : IMessageHandler<OrderPlaced>
    {
        public ValueTask HandleAsync(OrderPlaced message, ReceivedMessage context, CancellationToken cancellationToken)
        {
            handled.Add(context.Envelope.Id);
            return ValueTask.CompletedTask;
        }
    }

    internal sealed class PublishesOnStart(IPublisher publisher, MessageCodec codec) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken) =>
            await publisher.PublishAsync("orders", codec.Encode(new OrderPlaced("o-1", 1m, [], DateTimeOffset.UtcNow)) with { Id = "first" }, cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    internal sealed class RecordingLogs : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _warnings = new();

        public IReadOnlyCollection<string> Warnings => _warnings;

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(RecordingLogs logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel == LogLevel.Warning)
                {
                    logs._warnings.Enqueue(formatter(state, exception));
                }
            }
        }
    }

    internal sealed class ConcurrencyGate(int expected)
    {
        private int _inFlight;

        public TaskCompletionSource AllInFlight { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task EnterAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _inFlight) == expected)
            {
                AllInFlight.TrySetResult();
            }

            await Release.Task.WaitAsync(cancellationToken);
        }
    }

    internal sealed class GatedHandler(ConcurrencyGate gate) : IMessageHandler<OrderPlaced>
    {
        public async ValueTask HandleAsync(OrderPlaced message, ReceivedMessage context, CancellationToken cancellationToken) =>
            await gate.EnterAsync(cancellationToken);
    }
}

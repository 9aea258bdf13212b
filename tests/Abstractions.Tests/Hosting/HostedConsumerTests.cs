using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Adapters.Tests.Hosting;

public sealed class HostedConsumerTests
{
    private const string Queue = "orders";
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(300);

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_typed_scoped_handler_handles_messages_sent_through_IQueue()
    {
        using var host = BuildHost(services => services
            .AddSingleton<HandledOrders>()
            .AddQueueConsumer<OrderPlaced, RecordingOrderHandler>(Queue));
        await host.StartAsync(TestToken);
        var handled = host.Services.GetRequiredService<HandledOrders>();
        var codec = host.Services.GetRequiredService<MessageCodec>();
        var queue = host.Services.GetRequiredService<IQueue>();

        var first = await queue.SendAsync(Queue, new OrderPlaced("o-1", 10m, ["book"], DateTimeOffset.UtcNow), codec, cancellationToken: TestToken);
        var second = await queue.SendAsync(Queue, new OrderPlaced("o-2", 20m, ["pen"], DateTimeOffset.UtcNow), codec, cancellationToken: TestToken);
        var deliveries = new[] { await handled.NextAsync(), await handled.NextAsync() }.OrderBy(d => d.Order.OrderId).ToArray();

        Assert.Equal(["o-1", "o-2"], deliveries.Select(d => d.Order.OrderId));
        Assert.Equal([first.Id, second.Id], deliveries.Select(d => d.Context.Envelope.Id));
        Assert.All(deliveries, d => Assert.Equal(Queue, d.Context.Source));

        // A new scope per message: a new handler, and its scoped dependency disposed when the message is done.
        Assert.NotSame(deliveries[0].Handler, deliveries[1].Handler);
        Assert.NotSame(deliveries[0].Dependency, deliveries[1].Dependency);
        await Task.WhenAll(deliveries.Select(d => d.Dependency.Disposed.WaitAsync(WaitLimit, TestToken)));

        await host.StopAsync(TestToken);
    }

    [Fact]
    public async Task The_hosted_consumer_retries_with_the_configured_policy_then_dead_letters()
    {
        using var host = BuildHost(
            services => services.AddSingleton<HandledOrders>().AddQueueConsumer<OrderPlaced, AlwaysFailingOrderHandler>(Queue),
            ("Messaging:Retry:MaxAttempts", "3"),
            ("Messaging:Retry:ImmediateRetries", "2"));
        await host.StartAsync(TestToken);
        var queue = host.Services.GetRequiredService<IQueue>();
        var deadLetters = Channel.CreateUnbounded<ReceivedMessage>();
        await using var deadLetterReader = await queue.ConsumeAsync(
            DestinationNames.DeadLetterQueue(Queue),
            (m, ct) => deadLetters.Writer.WriteAsync(m, ct),
            cancellationToken: TestToken);

        var sent = await queue.SendAsync(Queue, new OrderPlaced("o-1", 10m, [], DateTimeOffset.UtcNow), host.Services.GetRequiredService<MessageCodec>(), cancellationToken: TestToken);
        var dead = await deadLetters.Reader.ReadAsync(TestToken).AsTask().WaitAsync(WaitLimit, TestToken);

        Assert.Equal(sent.Id, dead.Envelope.Id);
        Assert.Equal("3", dead.Envelope.Headers[EnvelopeHeaders.DeadLetterAttempts]);
        Assert.Equal(Queue, dead.Envelope.Headers[EnvelopeHeaders.DeadLetterSource]);
        Assert.Contains("card declined", dead.Envelope.Headers[EnvelopeHeaders.DeadLetterReason], StringComparison.Ordinal);
        var handled = host.Services.GetRequiredService<HandledOrders>();
        var attempts = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            attempts.Add((await handled.NextAsync()).Context.Attempt);
        }

        Assert.Equal([1, 2, 3], attempts);

        await host.StopAsync(TestToken);
    }

    [Fact]
    public async Task A_message_that_does_not_decode_is_dead_lettered_without_reaching_the_typed_handler()
    {
        using var host = BuildHost(services => services.AddSingleton<HandledOrders>().AddQueueConsumer<OrderPlaced, RecordingOrderHandler>(Queue));
        await host.StartAsync(TestToken);
        var queue = host.Services.GetRequiredService<IQueue>();
        var deadLetters = Channel.CreateUnbounded<ReceivedMessage>();
        await using var deadLetterReader = await queue.ConsumeAsync(
            DestinationNames.DeadLetterQueue(Queue),
            (m, ct) => deadLetters.Writer.WriteAsync(m, ct),
            cancellationToken: TestToken);
        var poison = new Envelope("order.placed", "{ not json"u8.ToArray());

        await queue.SendAsync(Queue, poison, TestToken);
        var dead = await deadLetters.Reader.ReadAsync(TestToken).AsTask().WaitAsync(WaitLimit, TestToken);

        Assert.Equal(poison.Id, dead.Envelope.Id);
        Assert.Equal("1", dead.Envelope.Headers[EnvelopeHeaders.DeadLetterAttempts]);
        Assert.StartsWith("Poison message: ", dead.Envelope.Headers[EnvelopeHeaders.DeadLetterReason], StringComparison.Ordinal);
        Assert.Equal(0, host.Services.GetRequiredService<HandledOrders>().Count);

        await host.StopAsync(TestToken);
    }

    [Fact]
    public async Task Stopping_the_host_waits_for_the_handler_in_flight_and_acknowledges_its_message()
    {
        var gate = new HandlerGate();
        using var host = BuildHost(
            services => services.AddSingleton(gate).AddQueueConsumer<OrderPlaced, GatedOrderHandler>(Queue),
            ("Messaging:ShutdownTimeout", "00:00:30"));
        await host.StartAsync(TestToken);
        var queue = host.Services.GetRequiredService<IQueue>();
        await queue.SendAsync(Queue, new OrderPlaced("o-1", 10m, [], DateTimeOffset.UtcNow), host.Services.GetRequiredService<MessageCodec>(), cancellationToken: TestToken);
        await gate.Started.Task.WaitAsync(WaitLimit, TestToken);

        var stopping = host.StopAsync(TestToken);

        // Nothing lets the handler finish yet, so the host must still be stopping after a while.
        Assert.NotSame(stopping, await Task.WhenAny(stopping, Task.Delay(QuietPeriod, TestToken)));
        gate.Release.SetResult();
        await stopping.WaitAsync(WaitLimit, TestToken);
        Assert.True(gate.Completed.Task.IsCompletedSuccessfully);
        Assert.False(gate.Cancelled.Task.IsCompleted);

        // The message was acknowledged: a new consumer of the queue gets nothing.
        var redelivered = Channel.CreateUnbounded<ReceivedMessage>();
        await using var after = await queue.ConsumeAsync(Queue, (m, ct) => redelivered.Writer.WriteAsync(m, ct), cancellationToken: TestToken);
        await Task.Delay(QuietPeriod, TestToken);
        Assert.False(redelivered.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_handler_still_running_at_the_shutdown_timeout_is_cancelled_and_its_message_left_for_redelivery()
    {
        var gate = new HandlerGate();
        using var host = BuildHost(
            services => services.AddSingleton(gate).AddQueueConsumer<OrderPlaced, GatedOrderHandler>(Queue),
            ("Messaging:ShutdownTimeout", "00:00:00.200"));
        await host.StartAsync(TestToken);
        var queue = host.Services.GetRequiredService<IQueue>();
        var sent = await queue.SendAsync(Queue, new OrderPlaced("o-1", 10m, [], DateTimeOffset.UtcNow), host.Services.GetRequiredService<MessageCodec>(), cancellationToken: TestToken);
        await gate.Started.Task.WaitAsync(WaitLimit, TestToken);

        await host.StopAsync(TestToken).WaitAsync(WaitLimit, TestToken);

        Assert.True(gate.Cancelled.Task.IsCompleted);
        Assert.False(gate.Completed.Task.IsCompleted);
        var redelivered = Channel.CreateUnbounded<ReceivedMessage>();
        await using var after = await queue.ConsumeAsync(Queue, (m, ct) => redelivered.Writer.WriteAsync(m, ct), cancellationToken: TestToken);
        var again = await redelivered.Reader.ReadAsync(TestToken).AsTask().WaitAsync(WaitLimit, TestToken);
        Assert.Equal(sent.Id, again.Envelope.Id);
    }

    [Fact]
    public async Task A_consumer_that_dies_stops_the_host_by_default()
    {
        var consumer = new Messaging.Adapters.Tests.TestDoubles.RecordingQueue.RecordingConsumer();
        using var host = BuildHost(services => services.AddSingleton(new Messaging.Adapters.Hosting.ConsumerRegistration("queue 'dies'", (_, _, _) => Task.FromResult<IConsumer>(consumer))));
        await host.StartAsync(TestToken);
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stopping.TrySetResult());

        consumer.Die(new InvalidOperationException("queue 'dies' was deleted"));

        await stopping.Task.WaitAsync(WaitLimit, TestToken);
        await host.StopAsync(TestToken);
    }

    [Fact]
    public async Task A_consumer_that_dies_is_started_again_with_the_restart_policy()
    {
        var consumers = new[] { new Messaging.Adapters.Tests.TestDoubles.RecordingQueue.RecordingConsumer(), new Messaging.Adapters.Tests.TestDoubles.RecordingQueue.RecordingConsumer() };
        var starts = 0;
        var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = BuildHost(
            services => services.AddSingleton(new Messaging.Adapters.Hosting.ConsumerRegistration("queue 'dies'", (_, _, _) =>
            {
                var started = Interlocked.Increment(ref starts);
                if (started == 2)
                {
                    restarted.TrySetResult();
                }

                return Task.FromResult<IConsumer>(consumers[Math.Min(started, 2) - 1]);
            })),
            ("Messaging:ConsumerFailure", "Restart"),
            ("Messaging:ConsumerRestartDelay", "00:00:00.050"));
        await host.StartAsync(TestToken);

        consumers[0].Die(new InvalidOperationException("reader failed"));

        await restarted.Task.WaitAsync(WaitLimit, TestToken);
        await host.StopAsync(TestToken);
        Assert.Equal(2, Volatile.Read(ref starts));
        Assert.Equal(1, consumers[1].Stops);
    }

    private static IHost BuildHost(Action<IServiceCollection> configure, params (string Key, string Value)[] values)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(values.Prepend((Key: "Messaging:Transport", Value: "InMemory")).Where((v, i) => i > 0 || !values.Any(x => x.Key == "Messaging:Transport")).Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
        builder.Services.AddMessaging(builder.Configuration);
        builder.Services.AddScoped<ScopedDependency>();
        configure(builder.Services);
        return builder.Build();
    }

    /// <summary>What the typed handlers saw, in the order they saw it.</summary>
    internal sealed class HandledOrders
    {
        private readonly Channel<Handled> _handled = Channel.CreateUnbounded<Handled>();
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add(Handled handled)
        {
            Interlocked.Increment(ref _count);
            _handled.Writer.TryWrite(handled);
        }

        public Task<Handled> NextAsync() => _handled.Reader.ReadAsync(TestToken).AsTask().WaitAsync(WaitLimit, TestToken);
    }

    internal sealed record Handled(OrderPlaced Order, ReceivedMessage Context, object Handler, ScopedDependency Dependency);

    /// <summary>A scoped service, to see that each message gets its own scope and that the scope is disposed.</summary>
    internal sealed class ScopedDependency : IDisposable
    {
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Disposed => _disposed.Task;

        public void Dispose() => _disposed.TrySetResult();
    }

    internal sealed class RecordingOrderHandler(HandledOrders handled, ScopedDependency dependency) : IMessageHandler<OrderPlaced>
    {
        public ValueTask HandleAsync(OrderPlaced message, ReceivedMessage context, CancellationToken cancellationToken)
        {
            handled.Add(new Handled(message, context, this, dependency));
            return ValueTask.CompletedTask;
        }
    }

    internal sealed class AlwaysFailingOrderHandler(HandledOrders handled, ScopedDependency dependency) : IMessageHandler<OrderPlaced>
    {
        public ValueTask HandleAsync(OrderPlaced message, ReceivedMessage context, CancellationToken cancellationToken)
        {
            handled.Add(new Handled(message, context, this, dependency));
            throw new InvalidOperationException("card declined");
        }
    }

    /// <summary>Lets a test hold a handler in flight and see how it ended.</summary>
    internal sealed class HandlerGate
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    internal sealed class GatedOrderHandler(HandlerGate gate) : IMessageHandler<OrderPlaced>
    {
        public async ValueTask HandleAsync(OrderPlaced message, ReceivedMessage context, CancellationToken cancellationToken)
        {
            gate.Started.TrySetResult();
            try
            {
                await gate.Release.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                gate.Cancelled.TrySetResult();
                throw;
            }

            gate.Completed.TrySetResult();
        }
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Hosted typed consumers, as an application registers them: a typed subscription on a topic that carries other types
/// receives its type only and dead-letters none of the others (the broker filters where it can, else the consumer
/// acknowledges them unhandled); one subscription, queue or reader group hands each type to its own handler; a typed
/// responder answers each request; and the hosted consumers exist before any application hosted service publishes,
/// whatever the order of registration.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class HostedConsumerScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    [Fact]
    public async Task A_typed_subscription_on_a_shared_topic_receives_only_its_type_and_dead_letters_none_of_the_others()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("shared");
        var subscription = scope.NewSubscription(topic, "typed");
        var everything = scope.NewSubscription(topic, "everything");
        var deadLetters = await ConsumeDeadLettersAsync(scope, DestinationNames.SubscriptionQueue(topic, subscription));
        var logs = new TypedLogs(Fixture);
        var everythingLog = NewLog($"subscription {everything} without a filter");
        await scope.SubscribeAsync(topic, everything, everythingLog.Handler);
        var app = scope.Own(await HostedApplication.StartAsync(
            Transport,
            services => services.AddSingleton(logs).AddSubscription<OrderPlacedEvent, OrderPlacedHandler>(topic, subscription),
            Ct));

        var messages = Mixed(app, 12);
        await PublishAllAsync(topic, messages);

        await everythingLog.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        await logs.Placed.AssertReceivesExactlyAsync(IdsOf(messages.Where(m => m.Type == PlacedType)), Fixture);
        await deadLetters.AssertReceivesNothingAsync(Fixture);
        Assert.Equal(0, logs.Shipped.Count);
    }

    [Fact]
    public async Task One_subscription_hands_each_type_to_its_own_handler_and_keeps_only_the_handled_types()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("shared");
        var subscription = scope.NewSubscription(topic, "handlers");
        var deadLetters = await ConsumeDeadLettersAsync(scope, DestinationNames.SubscriptionQueue(topic, subscription));
        var logs = new TypedLogs(Fixture);
        var app = scope.Own(await HostedApplication.StartAsync(
            Transport,
            services => services.AddSingleton(logs).AddSubscription(topic, subscription, h => h
                .Handle<OrderPlacedEvent, OrderPlacedHandler>()
                .Handle<OrderShippedEvent, OrderShippedHandler>()),
            Ct));

        // Placed, shipped, and a third type that no handler takes.
        var messages = Mixed(app, 15);
        await PublishAllAsync(topic, messages);

        await Task.WhenAll(
            logs.Placed.AssertReceivesExactlyAsync(IdsOf(messages.Where(m => m.Type == PlacedType)), Fixture),
            logs.Shipped.AssertReceivesExactlyAsync(IdsOf(messages.Where(m => m.Type == ShippedType)), Fixture));
        await deadLetters.AssertReceivesNothingAsync(Fixture);
    }

    [Fact]
    public async Task A_queue_with_typed_handlers_dead_letters_only_a_type_no_handler_takes_naming_it()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("typed");
        await Transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        var deadLetters = await ConsumeDeadLettersAsync(scope, queue);
        var logs = new TypedLogs(Fixture);
        var app = scope.Own(await HostedApplication.StartAsync(
            Transport,
            services => services.AddSingleton(logs).AddQueueConsumer(queue, h => h
                .Handle<OrderPlacedEvent, OrderPlacedHandler>()
                .Handle<OrderShippedEvent, OrderShippedHandler>()),
            Ct));

        var messages = Mixed(app, 9);
        await SendAllAsync(queue, messages);

        var unhandled = messages.Where(m => m.Type == UnhandledType).ToList();
        await Task.WhenAll(
            logs.Placed.AssertReceivesExactlyAsync(IdsOf(messages.Where(m => m.Type == PlacedType)), Fixture),
            logs.Shipped.AssertReceivesExactlyAsync(IdsOf(messages.Where(m => m.Type == ShippedType)), Fixture),
            deadLetters.AssertReceivesExactlyAsync(IdsOf(unhandled), Fixture));
        Assert.All(deadLetters.Deliveries, d => Assert.Contains($"'{UnhandledType}'", d.Envelope.Headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterReason), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_typed_stream_reader_passes_over_other_types_without_dead_lettering_them()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("typed");
        var group = scope.NewReaderGroup(stream, "typed");
        await Transport.Topology.EnsureAsync(Destination.Stream(stream), Ct);
        var deadLetters = NewLog("the reader group's dead letters");
        await scope.ConsumeAsync(ScenarioScope.StreamDeadLetterQueue(stream, group), deadLetters.Handler);
        var logs = new TypedLogs(Fixture);
        var app = scope.Own(await HostedApplication.StartAsync(
            Transport,
            services => services.AddSingleton(logs).AddStreamReader<OrderPlacedEvent, OrderPlacedHandler>(stream, group),
            Ct));

        var messages = Mixed(app, 9);
        await AppendAllAsync(stream, messages);

        await logs.Placed.AssertReceivesExactlyAsync(IdsOf(messages.Where(m => m.Type == PlacedType)), Fixture);
        await deadLetters.AssertReceivesNothingAsync(Fixture);
    }

    [Fact]
    public async Task A_hosted_service_registered_before_the_consumers_publishes_in_its_start_and_the_subscription_receives_it()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("first-publish");
        var subscription = scope.NewSubscription(topic, "ready");
        var logs = new TypedLogs(Fixture);
        var first = new FirstPublication(topic, Fixture);

        // The order of the .NET worker template: the application's own hosted service first, messaging after it.
        scope.Own(await HostedApplication.StartAsync(
            Transport,
            services => services
                .AddSingleton(first)
                .AddHostedService<PublishesOnStart>()
                .AddSingleton(logs)
                .AddSubscription<OrderPlacedEvent, OrderPlacedHandler>(topic, subscription),
            Ct));

        var published = await Within(first.Published.Task, "the hosted service's first publication");
        await logs.Placed.AssertReceivesExactlyAsync([published.Id], Fixture);
    }

    [Fact]
    public async Task A_typed_responder_answers_each_request_with_its_own_typed_response()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("responder");
        await Transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        var app = scope.Own(await HostedApplication.StartAsync(
            Transport,
            services => services.AddResponder<OrderPlacedEvent, OrderShippedEvent, ShipsWhatIsPlaced>(queue),
            Ct));
        var client = scope.Own(await RequestClient.StartAsync(Transport, Fixture.UniqueName("replies"), Ct));

        var replies = await Task.WhenAll(Enumerable.Range(0, 5).Select(async i =>
        {
            var request = app.Encode(Fixture, new OrderPlacedEvent($"o-{i}"));
            var reply = await client.RequestAsync(queue, request, Fixture.Timeout, Ct);
            return (Request: request, Reply: reply.Envelope);
        }));

        Assert.All(replies, r =>
        {
            Assert.Equal(r.Request.Id, r.Reply.CorrelationId);
            Assert.Equal(ShippedType, r.Reply.Type);
        });
        Assert.Equal(
            Enumerable.Range(0, 5).Select(i => new OrderShippedEvent($"o-{i}")),
            replies.Select(r => app.Codec.Decode<OrderShippedEvent>(r.Reply)));
    }

    private const string PlacedType = "conformance.order-placed";
    private const string ShippedType = "conformance.order-shipped";
    private const string UnhandledType = "conformance.order-archived";

    /// <summary>Placed, shipped and a type no handler takes, in turn.</summary>
    private List<Envelope> Mixed(HostedApplication app, int count) =>
        Enumerable.Range(0, count).Select(i => (i % 3) switch
        {
            0 => app.Encode(Fixture, new OrderPlacedEvent($"o-{i}")),
            1 => app.Encode(Fixture, new OrderShippedEvent($"o-{i}")),
            _ => Fixture.NewMessage(UnhandledType),
        }).ToList();

    private async Task<DeliveryLog> ConsumeDeadLettersAsync(ScenarioScope scope, string source)
    {
        var deadLetterQueue = DestinationNames.DeadLetterQueue(source);
        scope.Track(Destination.Queue(deadLetterQueue));
        var log = NewLog($"dead-letter queue {deadLetterQueue}");
        await scope.ConsumeAsync(deadLetterQueue, log.Handler);
        return log;
    }

    /// <summary>What the typed handlers of one scenario received.</summary>
    public sealed class TypedLogs(TransportFixture fixture)
    {
        public DeliveryLog Placed { get; } = new("OrderPlacedHandler", fixture);

        public DeliveryLog Shipped { get; } = new("OrderShippedHandler", fixture);
    }

    [MessageType(PlacedType)]
    public sealed record OrderPlacedEvent(string OrderId);

    [MessageType(ShippedType)]
    public sealed record OrderShippedEvent(string OrderId);

    public sealed class OrderPlacedHandler(TypedLogs logs) : IMessageHandler<OrderPlacedEvent>
    {
        public ValueTask HandleAsync(OrderPlacedEvent message, ReceivedMessage context, CancellationToken cancellationToken)
        {
            Assert.StartsWith("o-", message.OrderId, StringComparison.Ordinal);
            logs.Placed.Record(context);
            return ValueTask.CompletedTask;
        }
    }

    public sealed class OrderShippedHandler(TypedLogs logs) : IMessageHandler<OrderShippedEvent>
    {
        public ValueTask HandleAsync(OrderShippedEvent message, ReceivedMessage context, CancellationToken cancellationToken)
        {
            Assert.StartsWith("o-", message.OrderId, StringComparison.Ordinal);
            logs.Shipped.Record(context);
            return ValueTask.CompletedTask;
        }
    }

    public sealed class ShipsWhatIsPlaced : IRequestHandler<OrderPlacedEvent, OrderShippedEvent>
    {
        public ValueTask<OrderShippedEvent> HandleAsync(OrderPlacedEvent request, ReceivedMessage context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new OrderShippedEvent(request.OrderId));
    }

    /// <summary>The message an application's hosted service publishes as it starts.</summary>
    public sealed class FirstPublication(string topic, TransportFixture fixture)
    {
        public string Topic { get; } = topic;

        public TransportFixture Fixture { get; } = fixture;

        public TaskCompletionSource<Envelope> Published { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>An application's hosted service that publishes in its <c>StartAsync</c>, as a worker's first step may.</summary>
    public sealed class PublishesOnStart(FirstPublication first, IPublisher publisher, MessageCodec codec) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var encoded = codec.Encode(new OrderPlacedEvent("o-first"));
            var message = first.Fixture.NewMessage(encoded.Type) with { Body = encoded.Body, ContentType = encoded.ContentType };
            await publisher.PublishAsync(first.Topic, message, cancellationToken);
            first.Published.SetResult(message);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

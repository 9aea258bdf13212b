using Messaging.Adapters;
using Messaging.Adapters.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>
/// Registers consumers that run as hosted services for the lifetime of the application.
/// </summary>
/// <remarks>
/// <para>Every consumer registered here is started, and its queue or subscription provisioned, before any other hosted
/// service of the application starts (<see cref="IHostedLifecycleService.StartingAsync"/>), whatever the order of
/// registration: a hosted service that publishes in its own <c>StartAsync</c> reaches the subscriptions declared here.</para>
/// <para>Each consumer has a name, under which <c>Messaging:Consumers:&lt;name&gt;</c> configures it (<see cref="ConsumerSettings"/>):
/// the queue, <c>&lt;topic&gt;.&lt;subscription&gt;</c> or <c>&lt;stream&gt;.&lt;reader group&gt;</c>.</para>
/// </remarks>
public static class MessagingConsumerServiceCollectionExtensions
{
    /// <summary>Consumes a queue with a handler built from the service provider.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="queue">The queue; also the consumer's name under <c>Messaging:Consumers</c>.</param>
    /// <param name="handlerFactory">Builds the handler once, at start-up.</param>
    /// <param name="options">The consumer options, or <see langword="null"/> for the defaults.</param>
    /// <param name="consumers">How many competing consumers to start in this process, each with its own in-flight limit (1 to 100).</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddQueueConsumer(this IServiceCollection services, string queue, Func<IServiceProvider, MessageHandler> handlerFactory, ConsumerOptions? options = null, int consumers = 1)
    {
        DestinationNames.Validate(queue, "queue", nameof(queue));
        ArgumentNullException.ThrowIfNull(handlerFactory);
        options?.Validate();
        return services.AddConsumer(new ConsumerRegistration(
            $"queue '{queue}'",
            (sp, transport, ct) => transport.Queue.ConsumeAsync(queue, Configured(sp, queue, handlerFactory(sp)), WithConfiguredRetry(sp, queue, options), ct))
        {
            Name = queue,
            Count = CheckCount(consumers),
        });
    }

    /// <summary>Consumes a queue with a typed handler resolved from a new scope for every message.</summary>
    /// <typeparam name="TMessage">The message class.</typeparam>
    /// <typeparam name="THandler">The handler class; registered as scoped if not registered yet.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="queue">The queue; also the consumer's name under <c>Messaging:Consumers</c>.</param>
    /// <param name="options">The consumer options, or <see langword="null"/> for the defaults.</param>
    /// <param name="consumers">How many competing consumers to start in this process, each with its own in-flight limit (1 to 100).</param>
    /// <returns>The service collection.</returns>
    /// <remarks>A message of another type is dead-lettered at once with a reason naming its type.</remarks>
    public static IServiceCollection AddQueueConsumer<TMessage, THandler>(this IServiceCollection services, string queue, ConsumerOptions? options = null, int consumers = 1)
        where THandler : class, IMessageHandler<TMessage> =>
        services.AddQueueConsumer(queue, h => h.Handle<TMessage, THandler>(), options, consumers);

    /// <summary>Consumes a queue with typed handlers, one per message class, each resolved from a new scope for every message.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="queue">The queue; also the consumer's name under <c>Messaging:Consumers</c>.</param>
    /// <param name="handlers">Adds the handlers: <c>h =&gt; h.Handle&lt;OrderPlaced, Billing&gt;().Handle&lt;OrderCancelled, Refunds&gt;()</c>.</param>
    /// <param name="options">The consumer options, or <see langword="null"/> for the defaults.</param>
    /// <param name="consumers">How many competing consumers to start in this process, each with its own in-flight limit (1 to 100).</param>
    /// <returns>The service collection.</returns>
    /// <remarks>A message of a type no handler takes is dead-lettered at once with a reason naming its type.</remarks>
    public static IServiceCollection AddQueueConsumer(this IServiceCollection services, string queue, Action<MessageHandlers> handlers, ConsumerOptions? options = null, int consumers = 1)
    {
        var routes = Routes(services, handlers);
        return services.AddQueueConsumer(
            queue,
            sp => TypedDispatch.Create(sp, routes, TypedDispatch.UnhandledType.DeadLetter, $"queue '{queue}'").Handler(),
            options,
            consumers);
    }

    /// <summary>Answers the typed requests sent to a queue (by <see cref="IRequestClient.GetResponseAsync"/> or any
    /// <see cref="RequestClient"/>) with a handler resolved from a new scope for every request.</summary>
    /// <typeparam name="TRequest">The request class.</typeparam>
    /// <typeparam name="TResponse">The response class.</typeparam>
    /// <typeparam name="THandler">The handler class; registered as scoped if not registered yet.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="queue">The queue the requests are sent to; also the consumer's name under <c>Messaging:Consumers</c>.</param>
    /// <param name="options">The consumer options, or <see langword="null"/> for the defaults.</param>
    /// <param name="consumers">How many competing consumers to start in this process, each with its own in-flight limit (1 to 100).</param>
    /// <returns>The service collection.</returns>
    /// <remarks>A queue can answer several request classes: <c>AddQueueConsumer(queue, h =&gt; h.Answer&lt;A, RA, HA&gt;().Answer&lt;B, RB, HB&gt;())</c>.</remarks>
    public static IServiceCollection AddResponder<TRequest, TResponse, THandler>(this IServiceCollection services, string queue, ConsumerOptions? options = null, int consumers = 1)
        where TResponse : notnull
        where THandler : class, IRequestHandler<TRequest, TResponse> =>
        services.AddQueueConsumer(queue, h => h.Answer<TRequest, TResponse, THandler>(), options, consumers);

    /// <summary>Consumes a topic through a named subscription with a handler built from the service provider.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="subscription">The subscription name.</param>
    /// <param name="handlerFactory">Builds the handler once, at start-up.</param>
    /// <param name="options">The subscription options, or <see langword="null"/> for the defaults.</param>
    /// <param name="consumers">How many competing consumers to start in this process, each with its own in-flight limit (1 to 100).</param>
    /// <returns>The service collection.</returns>
    /// <remarks>A filter type name that no <see cref="MessageTypeAttribute"/> of the application declares and no class
    /// of its <see cref="MessageCodec"/> has is logged as a warning at start (a typo would keep nothing).</remarks>
    public static IServiceCollection AddSubscription(this IServiceCollection services, string topic, string subscription, Func<IServiceProvider, MessageHandler> handlerFactory, SubscriptionOptions? options = null, int consumers = 1)
    {
        ArgumentNullException.ThrowIfNull(handlerFactory);
        return services.AddSubscription(
            topic,
            subscription,
            sp =>
            {
                FilterTypeCheck.WarnOfUnknownTypes(sp, options?.Filter, $"subscription '{subscription}' of topic '{topic}'");
                return (handlerFactory(sp), options);
            },
            options,
            consumers);
    }

    /// <summary>Consumes a topic through a named subscription with a typed handler resolved from a new scope for every message.</summary>
    /// <typeparam name="TMessage">The message class.</typeparam>
    /// <typeparam name="THandler">The handler class; registered as scoped if not registered yet.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="topic">The topic, which may carry other message types too.</param>
    /// <param name="subscription">The subscription name.</param>
    /// <param name="options">The subscription options, or <see langword="null"/> for the defaults.</param>
    /// <param name="consumers">How many competing consumers to start in this process, each with its own in-flight limit (1 to 100).</param>
    /// <returns>The service collection.</returns>
    /// <remarks>The subscription keeps only <typeparamref name="TMessage"/>: its filter is that type (and the headers of
    /// <see cref="SubscriptionOptions.Filter"/>), applied by the broker where it can filter, else by the consumer, which
    /// acknowledges the other types without handling them. Other types are never dead-lettered.</remarks>
    public static IServiceCollection AddSubscription<TMessage, THandler>(this IServiceCollection services, string topic, string subscription, SubscriptionOptions? options = null, int consumers = 1)
        where THandler : class, IMessageHandler<TMessage> =>
        services.AddSubscription(topic, subscription, h => h.Handle<TMessage, THandler>(), options, consumers);

    /// <summary>Consumes a topic through a named subscription with typed handlers, one per message class, each resolved
    /// from a new scope for every message.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="topic">The topic, which may carry other message types too.</param>
    /// <param name="subscription">The subscription name.</param>
    /// <param name="handlers">Adds the handlers: <c>h =&gt; h.Handle&lt;OrderPlaced, Billing&gt;().Handle&lt;OrderShipped, Tracking&gt;()</c>.</param>
    /// <param name="options">The subscription options, or <see langword="null"/> for the defaults.</param>
    /// <param name="consumers">How many competing consumers to start in this process, each with its own in-flight limit (1 to 100).</param>
    /// <returns>The service collection.</returns>
    /// <remarks>The subscription keeps only the handled types: its filter is their union (narrowed by the types and
    /// headers of <see cref="SubscriptionOptions.Filter"/>, whose types must each have a handler), applied by the broker
    /// where it can filter, else by the consumer, which acknowledges the other types without handling them.</remarks>
    public static IServiceCollection AddSubscription(this IServiceCollection services, string topic, string subscription, Action<MessageHandlers> handlers, SubscriptionOptions? options = null, int consumers = 1)
    {
        var routes = Routes(services, handlers);
        var description = $"subscription '{subscription}' of topic '{topic}'";
        return services.AddSubscription(
            topic,
            subscription,
            sp =>
            {
                var dispatch = TypedDispatch.Create(sp, routes, TypedDispatch.UnhandledType.DeadLetter, description);
                return (dispatch.Handler(), (options ?? new SubscriptionOptions()) with { Filter = dispatch.Filter(options?.Filter) });
            },
            options,
            consumers);
    }

    /// <summary>Reads a stream as a named reader group with a handler built from the service provider.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="stream">The stream.</param>
    /// <param name="readerGroup">The reader group.</param>
    /// <param name="handlerFactory">Builds the handler once, at start-up.</param>
    /// <param name="options">The read options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddStreamReader(this IServiceCollection services, string stream, string readerGroup, Func<IServiceProvider, MessageHandler> handlerFactory, StreamReadOptions? options = null)
    {
        var name = DestinationNames.ReaderGroupSource(stream, readerGroup);
        ArgumentNullException.ThrowIfNull(handlerFactory);
        options?.Validate();
        return services.AddConsumer(new ConsumerRegistration(
            $"reader group '{readerGroup}' of stream '{stream}'",
            (sp, transport, ct) =>
            {
                var read = options;
                if (ConfiguredRetry(sp, name) is { } retry)
                {
                    read = (read ?? new StreamReadOptions()) with { Retry = retry };
                }

                return transport.Stream.ReadAsync(stream, readerGroup, Configured(sp, name, handlerFactory(sp)), read, ct);
            })
        {
            Name = name,
        });
    }

    /// <summary>Reads a stream as a named reader group with a typed handler resolved from a new scope for every message.</summary>
    /// <typeparam name="TMessage">The message class.</typeparam>
    /// <typeparam name="THandler">The handler class; registered as scoped if not registered yet.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="stream">The stream, which may carry other message types too.</param>
    /// <param name="readerGroup">The reader group.</param>
    /// <param name="options">The read options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The service collection.</returns>
    /// <remarks>Messages of other types are passed over (acknowledged and checkpointed), never dead-lettered.</remarks>
    public static IServiceCollection AddStreamReader<TMessage, THandler>(this IServiceCollection services, string stream, string readerGroup, StreamReadOptions? options = null)
        where THandler : class, IMessageHandler<TMessage> =>
        services.AddStreamReader(stream, readerGroup, h => h.Handle<TMessage, THandler>(), options);

    /// <summary>Reads a stream as a named reader group with typed handlers, one per message class, each resolved from a
    /// new scope for every message.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="stream">The stream, which may carry other message types too.</param>
    /// <param name="readerGroup">The reader group.</param>
    /// <param name="handlers">Adds the handlers: <c>h =&gt; h.Handle&lt;OrderPlaced, Projection&gt;()</c>.</param>
    /// <param name="options">The read options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The service collection.</returns>
    /// <remarks>Messages of types no handler takes are passed over (acknowledged and checkpointed), never dead-lettered.</remarks>
    public static IServiceCollection AddStreamReader(this IServiceCollection services, string stream, string readerGroup, Action<MessageHandlers> handlers, StreamReadOptions? options = null)
    {
        var routes = Routes(services, handlers);
        return services.AddStreamReader(
            stream,
            readerGroup,
            sp => TypedDispatch.Create(sp, routes, TypedDispatch.UnhandledType.Skip, $"reader group '{readerGroup}' of stream '{stream}'").Handler(),
            options);
    }

    private static IServiceCollection AddSubscription(this IServiceCollection services, string topic, string subscription, Func<IServiceProvider, (MessageHandler Handler, SubscriptionOptions? Options)> build, SubscriptionOptions? options, int consumers)
    {
        var name = DestinationNames.SubscriptionQueue(topic, subscription);
        options?.Validate();
        return services.AddConsumer(new ConsumerRegistration(
            $"subscription '{subscription}' of topic '{topic}'",
            (sp, transport, ct) =>
            {
                var (handler, built) = build(sp);
                return transport.Subscriber.SubscribeAsync(topic, subscription, Configured(sp, name, handler), WithConfiguredRetry(sp, name, built), ct);
            })
        {
            Name = name,
            Count = CheckCount(consumers),
        });
    }

    private static IServiceCollection AddConsumer(this IServiceCollection services, ConsumerRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(registration);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MessagingHostedService>());
        return services;
    }

    private static List<TypedRoute> Routes(IServiceCollection services, Action<MessageHandlers> handlers)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(handlers);
        var built = new MessageHandlers(services);
        handlers(built);
        return built.Routes.Count > 0
            ? [.. built.Routes]
            : throw new ArgumentException("No handler was added: call Handle<TMessage, THandler>() at least once.", nameof(handlers));
    }

    private static int CheckCount(int consumers) =>
        consumers is >= 1 and <= ConsumerRegistration.MaxCount
            ? consumers
            : throw new ArgumentOutOfRangeException(nameof(consumers), consumers, $"consumers must be 1..{ConsumerRegistration.MaxCount}, was {consumers}.");

    /// <summary>The handler, made idempotent when <c>Messaging:Consumers:&lt;name&gt;:Idempotent</c> says so.</summary>
    private static MessageHandler Configured(IServiceProvider services, string name, MessageHandler handler) =>
        services.GetService<IOptions<MessagingOptions>>()?.Value.Consumers.GetValueOrDefault(name)?.Idempotent == true
            ? IdempotentHandler.Wrap(handler, services.GetRequiredService<IIdempotencyStore>(), name)
            : handler;

    /// <summary>The retry policy of <c>Messaging:Consumers:&lt;name&gt;:Retry</c>, if configured.</summary>
    private static RetryPolicy? ConfiguredRetry(IServiceProvider services, string name) =>
        services.GetService<IOptions<MessagingOptions>>()?.Value.Consumers.GetValueOrDefault(name)?.Retry?.ToPolicy();

    private static T? WithConfiguredRetry<T>(IServiceProvider services, string name, T? options)
        where T : ConsumerOptions, new() =>
        ConfiguredRetry(services, name) is { } retry ? (T)((ConsumerOptions)(options ?? new T()) with { Retry = retry }) : options;
}

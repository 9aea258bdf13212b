using Messaging.Adapters;
using Messaging.Adapters.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>
/// Registers consumers that run as hosted services for the lifetime of the application.
/// </summary>
public static class MessagingConsumerServiceCollectionExtensions
{
    /// <summary>Consumes a queue with a handler built from the service provider.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="queue">The queue.</param>
    /// <param name="handlerFactory">Builds the handler once, at start-up.</param>
    /// <param name="options">The consumer options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddQueueConsumer(this IServiceCollection services, string queue, Func<IServiceProvider, MessageHandler> handlerFactory, ConsumerOptions? options = null)
    {
        DestinationNames.Validate(queue, "queue", nameof(queue));
        ArgumentNullException.ThrowIfNull(handlerFactory);
        options?.Validate();
        return services.AddConsumer(new ConsumerRegistration($"queue '{queue}'", (sp, transport, ct) => transport.Queue.ConsumeAsync(queue, handlerFactory(sp), options, ct)));
    }

    /// <summary>Consumes a queue with a typed handler resolved from a new scope for every message.</summary>
    /// <typeparam name="TMessage">The message class.</typeparam>
    /// <typeparam name="THandler">The handler class; registered as scoped if not registered yet.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="queue">The queue.</param>
    /// <param name="options">The consumer options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddQueueConsumer<TMessage, THandler>(this IServiceCollection services, string queue, ConsumerOptions? options = null)
        where THandler : class, IMessageHandler<TMessage>
    {
        services.TryAddScoped<THandler>();
        return services.AddQueueConsumer(queue, ScopedHandler<TMessage, THandler>, options);
    }

    /// <summary>Consumes a topic through a named subscription with a handler built from the service provider.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="subscription">The subscription name.</param>
    /// <param name="handlerFactory">Builds the handler once, at start-up.</param>
    /// <param name="options">The subscription options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddSubscription(this IServiceCollection services, string topic, string subscription, Func<IServiceProvider, MessageHandler> handlerFactory, SubscriptionOptions? options = null)
    {
        _ = DestinationNames.SubscriptionQueue(topic, subscription);
        ArgumentNullException.ThrowIfNull(handlerFactory);
        options?.Validate();
        return services.AddConsumer(new ConsumerRegistration($"subscription '{subscription}' of topic '{topic}'", (sp, transport, ct) => transport.Subscriber.SubscribeAsync(topic, subscription, handlerFactory(sp), options, ct)));
    }

    /// <summary>Consumes a topic through a named subscription with a typed handler resolved from a new scope for every message.</summary>
    /// <typeparam name="TMessage">The message class.</typeparam>
    /// <typeparam name="THandler">The handler class; registered as scoped if not registered yet.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="subscription">The subscription name.</param>
    /// <param name="options">The subscription options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddSubscription<TMessage, THandler>(this IServiceCollection services, string topic, string subscription, SubscriptionOptions? options = null)
        where THandler : class, IMessageHandler<TMessage>
    {
        services.TryAddScoped<THandler>();
        return services.AddSubscription(topic, subscription, ScopedHandler<TMessage, THandler>, options);
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
        _ = DestinationNames.ReaderGroupSource(stream, readerGroup);
        ArgumentNullException.ThrowIfNull(handlerFactory);
        options?.Validate();
        return services.AddConsumer(new ConsumerRegistration($"reader group '{readerGroup}' of stream '{stream}'", (sp, transport, ct) => transport.Stream.ReadAsync(stream, readerGroup, handlerFactory(sp), options, ct)));
    }

    private static IServiceCollection AddConsumer(this IServiceCollection services, ConsumerRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(registration);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MessagingHostedService>());
        return services;
    }

    private static MessageHandler ScopedHandler<TMessage, THandler>(IServiceProvider provider)
        where THandler : class, IMessageHandler<TMessage>
    {
        var codec = provider.GetRequiredService<MessageCodec>();
        var scopes = provider.GetRequiredService<IServiceScopeFactory>();
        return async (message, cancellationToken) =>
        {
            var decoded = codec.Decode<TMessage>(message.Envelope);
            var scope = scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                await scope.ServiceProvider.GetRequiredService<THandler>().HandleAsync(decoded, message, cancellationToken).ConfigureAwait(false);
            }
        };
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.Adapters;

/// <summary>
/// The typed handlers of one hosted consumer, one per message class: each message goes to the handler of its type,
/// resolved from a new dependency-injection scope, with no switch on <see cref="Envelope.Type"/> to write.
/// </summary>
/// <remarks>Filled in the <c>handlers</c> callback of <c>AddSubscription</c>, <c>AddQueueConsumer</c> or
/// <c>AddStreamReader</c>. A subscription keeps only the types handled here (its filter is their union, applied by the
/// broker where it can filter); a queue dead-letters a message of a type no handler takes; a stream reader passes over
/// it, acknowledged, since a stream carries every type to every reader group.</remarks>
public sealed class MessageHandlers
{
    private readonly IServiceCollection _services;
    private readonly List<TypedRoute> _routes = [];

    internal MessageHandlers(IServiceCollection services)
    {
        _services = services;
    }

    internal IReadOnlyList<TypedRoute> Routes => _routes;

    /// <summary>Handles the messages of one class with a handler resolved from a new scope for every message.</summary>
    /// <typeparam name="TMessage">The message class; its type name comes from the application's <see cref="MessageCodec"/>.</typeparam>
    /// <typeparam name="THandler">The handler class; registered as scoped if not registered yet.</typeparam>
    /// <returns>These handlers, for chaining.</returns>
    /// <exception cref="ArgumentException"><typeparamref name="TMessage"/> already has a handler in this consumer.</exception>
    public MessageHandlers Handle<TMessage, THandler>()
        where THandler : class, IMessageHandler<TMessage>
    {
        Add(typeof(TMessage), typeof(THandler), static (services, codec, message, cancellationToken) =>
            services.GetRequiredService<THandler>().HandleAsync(codec.Decode<TMessage>(message.Envelope), message, cancellationToken));
        return this;
    }

    /// <summary>Answers the requests of one class with a handler resolved from a new scope for every request; its
    /// response goes to the request's <see cref="Envelope.ReplyTo"/>, correlated to it
    /// (<see cref="RequestReplyExtensions.ReplyAsync"/>).</summary>
    /// <typeparam name="TRequest">The request class.</typeparam>
    /// <typeparam name="TResponse">The response class.</typeparam>
    /// <typeparam name="THandler">The handler class; registered as scoped if not registered yet.</typeparam>
    /// <returns>These handlers, for chaining.</returns>
    /// <exception cref="ArgumentException"><typeparamref name="TRequest"/> already has a handler in this consumer.</exception>
    public MessageHandlers Answer<TRequest, TResponse, THandler>()
        where TResponse : notnull
        where THandler : class, IRequestHandler<TRequest, TResponse>
    {
        Add(typeof(TRequest), typeof(THandler), static async (services, codec, message, cancellationToken) =>
        {
            var response = await services.GetRequiredService<THandler>()
                .HandleAsync(codec.Decode<TRequest>(message.Envelope), message, cancellationToken).ConfigureAwait(false);
            await services.GetRequiredService<IQueue>().ReplyAsync(message, codec.Encode(response), cancellationToken).ConfigureAwait(false);
        });
        return this;
    }

    private void Add(Type messageClass, Type handlerClass, Func<IServiceProvider, MessageCodec, ReceivedMessage, CancellationToken, ValueTask> invoke)
    {
        if (_routes.Any(r => r.MessageClass == messageClass))
        {
            throw new ArgumentException($"{messageClass.FullName} already has a handler in this consumer; a message class can have one handler per consumer.", nameof(messageClass));
        }

        _services.TryAdd(ServiceDescriptor.Scoped(handlerClass, handlerClass));
        _routes.Add(new TypedRoute(messageClass, invoke));
    }
}

/// <summary>How one message class reaches its handler inside a scope.</summary>
/// <param name="MessageClass">The message class.</param>
/// <param name="Invoke">Decodes the message and calls the handler resolved from the scope's provider.</param>
internal sealed record TypedRoute(Type MessageClass, Func<IServiceProvider, MessageCodec, ReceivedMessage, CancellationToken, ValueTask> Invoke);

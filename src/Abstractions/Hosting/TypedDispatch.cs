using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Adapters.Hosting;

/// <summary>
/// Sends each message of a hosted consumer to the typed handler of its type name, in a new scope per message.
/// </summary>
internal sealed class TypedDispatch
{
    private readonly Dictionary<string, TypedRoute> _routes;
    private readonly MessageCodec _codec;
    private readonly IServiceScopeFactory _scopes;
    private readonly UnhandledType _unhandled;
    private readonly string _consumer;

    private TypedDispatch(IServiceProvider services, IReadOnlyList<TypedRoute> routes, UnhandledType unhandled, string consumer)
    {
        _codec = services.GetRequiredService<MessageCodec>();
        _scopes = services.GetRequiredService<IServiceScopeFactory>();
        _routes = routes.ToDictionary(r => _codec.Types.GetName(r.MessageClass), StringComparer.Ordinal);
        _unhandled = unhandled;
        _consumer = consumer;
    }

    /// <summary>What happens to a message whose type no handler takes.</summary>
    public enum UnhandledType
    {
        /// <summary>Dead-lettered at once: it was sent to this consumer, and nothing here can handle it.</summary>
        DeadLetter,

        /// <summary>Acknowledged without handling: a stream carries every type to every reader group.</summary>
        Skip,
    }

    /// <summary>The type names handled, as the application's <see cref="MessageCodec"/> names the classes.</summary>
    public IReadOnlyCollection<string> TypeNames => _routes.Keys;

    /// <summary>Builds the dispatch of a consumer's handlers with the application's codec.</summary>
    /// <param name="services">The application's provider.</param>
    /// <param name="routes">The handlers, one per message class.</param>
    /// <param name="unhandled">What to do with a message of another type.</param>
    /// <param name="consumer">The consumer, for the reason a message is dead-lettered with.</param>
    /// <returns>The dispatch.</returns>
    public static TypedDispatch Create(IServiceProvider services, IReadOnlyList<TypedRoute> routes, UnhandledType unhandled, string consumer) =>
        new(services, routes, unhandled, consumer);

    /// <summary>The handler to give the transport.</summary>
    /// <returns>The handler.</returns>
    public MessageHandler Handler() => HandleAsync;

    /// <summary>The subscription's filter: the caller's, kept to the handled types (all of them when it names none).</summary>
    /// <param name="filter">The filter the application gave, or <see langword="null"/>.</param>
    /// <returns>The filter to subscribe with.</returns>
    /// <exception cref="InvalidOperationException">The filter names a type that no handler of the consumer takes.</exception>
    public SubscriptionFilter Filter(SubscriptionFilter? filter)
    {
        if (filter is null || filter.MessageTypes.Count == 0)
        {
            return (filter ?? new SubscriptionFilter()) with { MessageTypes = [.. _routes.Keys] };
        }

        var unknown = filter.MessageTypes.Where(t => !_routes.ContainsKey(t)).ToList();
        return unknown.Count == 0
            ? filter
            : throw new InvalidOperationException(
                $"The filter of {_consumer} keeps message type(s) {string.Join(", ", unknown.Select(t => $"'{t}'"))}, which none of its handlers takes; its handlers take {string.Join(", ", _routes.Keys.Select(t => $"'{t}'"))}.");
    }

    private async ValueTask HandleAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        if (!_routes.TryGetValue(message.Envelope.Type, out var route))
        {
            if (_unhandled == UnhandledType.Skip)
            {
                return;
            }

            throw new DeadLetterException($"No handler of {_consumer} takes message type '{message.Envelope.Type}'; its handlers take {string.Join(", ", _routes.Keys.Select(t => $"'{t}'"))}.");
        }

        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            await route.Invoke(scope.ServiceProvider, _codec, message, cancellationToken).ConfigureAwait(false);
        }
    }
}

namespace Messaging.Adapters;

/// <summary>
/// Turns typed messages into envelopes and back, with a serializer and a type map.
/// </summary>
/// <param name="serializer">The serializer; <see langword="null"/> for <see cref="SystemTextJsonMessageSerializer"/>.</param>
/// <param name="types">The type map; <see langword="null"/> for a new one.</param>
public sealed class MessageCodec(IMessageSerializer? serializer = null, MessageTypeMap? types = null)
{
    /// <summary>The serializer.</summary>
    public IMessageSerializer Serializer { get; } = serializer ?? new SystemTextJsonMessageSerializer();

    /// <summary>The type map.</summary>
    public MessageTypeMap Types { get; } = types ?? new MessageTypeMap();

    /// <summary>Creates an envelope for a message, with its type name, serialized body and content type.</summary>
    /// <typeparam name="T">The message class.</typeparam>
    /// <param name="message">The message.</param>
    /// <returns>The envelope; set key, correlation and headers on it with a <c>with</c> expression.</returns>
    public Envelope Encode<T>(T message)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(message);
        return new Envelope(Types.GetName(typeof(T)), Serializer.Serialize(message, typeof(T))) { ContentType = Serializer.ContentType };
    }

    /// <summary>Reads a message of an expected class from an envelope.</summary>
    /// <typeparam name="T">The expected class.</typeparam>
    /// <param name="envelope">The envelope.</param>
    /// <returns>The message.</returns>
    /// <exception cref="MessageDeserializationException">The envelope's type is another one, or its body is not a
    /// valid <typeparamref name="T"/>; a handler that lets it escape dead-letters the message without retries.</exception>
    public T Decode<T>(Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var expected = Types.GetName(typeof(T));
        if (!string.Equals(envelope.Type, expected, StringComparison.Ordinal))
        {
            throw new MessageDeserializationException(envelope.Id, envelope.Type, $"expected type '{expected}' ({typeof(T).FullName}).");
        }

        object? value;
        try
        {
            value = Serializer.Deserialize(envelope.Body.Span, typeof(T));
        }
        catch (Exception ex)
        {
            throw new MessageDeserializationException(envelope.Id, envelope.Type, $"the body is not a valid {typeof(T).Name} ({ex.GetType().Name}: {ex.Message})", ex);
        }

        return value is T typed
            ? typed
            : throw new MessageDeserializationException(envelope.Id, envelope.Type, $"the body decodes to null, not a {typeof(T).Name}.");
    }

    /// <summary>A handler that decodes each message as <typeparamref name="T"/> and passes it on; a message that does
    /// not decode is a poison message and is dead-lettered without retries.</summary>
    /// <typeparam name="T">The message class.</typeparam>
    /// <param name="handler">The typed handler.</param>
    /// <returns>The handler for <see cref="IQueue.ConsumeAsync"/>, <see cref="ISubscriber.SubscribeAsync"/> or <see cref="IStream.ReadAsync"/>.</returns>
    public MessageHandler Handler<T>(Func<T, ReceivedMessage, CancellationToken, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return (message, cancellationToken) => handler(Decode<T>(message.Envelope), message, cancellationToken);
    }
}

namespace Messaging.Adapters;

/// <summary>
/// Turns message objects into body bytes and back.
/// </summary>
/// <remarks>Implementations must be thread safe. <see cref="SystemTextJsonMessageSerializer"/> is the default.</remarks>
public interface IMessageSerializer
{
    /// <summary>The MIME type of what <see cref="Serialize"/> produces, stored in <see cref="Envelope.ContentType"/>.</summary>
    string ContentType { get; }

    /// <summary>Serializes a message.</summary>
    /// <param name="message">The message.</param>
    /// <param name="type">The type to serialize it as.</param>
    /// <returns>The body bytes.</returns>
    byte[] Serialize(object message, Type type);

    /// <summary>Deserializes a body.</summary>
    /// <param name="body">The body bytes.</param>
    /// <param name="type">The type to produce.</param>
    /// <returns>The message; <see langword="null"/> when the body encodes null.</returns>
    /// <exception cref="Exception">Any exception means the body is not a valid <paramref name="type"/>; the
    /// <see cref="MessageCodec"/> wraps it as <see cref="MessageDeserializationException"/>.</exception>
    object? Deserialize(ReadOnlySpan<byte> body, Type type);
}

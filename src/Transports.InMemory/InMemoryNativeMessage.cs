namespace Messaging.Adapters.InMemory;

/// <summary>
/// A message as a publisher that does not use this library would put it into the in-memory broker: a body, the
/// properties a broker carries natively and headers of any type. The in-memory counterpart of a plain AMQP publish or
/// a Kafka produce, for interoperability tests (<see cref="InMemoryBroker.SendNative"/>).
/// </summary>
/// <remarks>Headers named <c>ce-&lt;attribute&gt;</c> are CloudEvents attributes in binary mode (the in-memory
/// "binding"); a body of content type <c>application/cloudevents+json</c> is a structured-mode event. It is read into an
/// envelope the way every transport reads what it receives (<see cref="Transport.IncomingEnvelope"/>).</remarks>
/// <param name="body">The body.</param>
public sealed class InMemoryNativeMessage(ReadOnlyMemory<byte> body)
{
    /// <summary>The body.</summary>
    public ReadOnlyMemory<byte> Body { get; } = body;

    /// <summary>The content type; <see langword="null"/> for none.</summary>
    public string? ContentType { get; init; }

    /// <summary>The native message id; <see langword="null"/> for none (the message then gets a content hash).</summary>
    public string? MessageId { get; init; }

    /// <summary>The native type; <see langword="null"/> for none.</summary>
    public string? Type { get; init; }

    /// <summary>The native timestamp; <see langword="null"/> for none.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>Headers with values of any type (text, numbers, booleans, timestamps, bytes, lists, maps).</summary>
    public IReadOnlyDictionary<string, object?> Headers { get; init; } = new Dictionary<string, object?>();
}

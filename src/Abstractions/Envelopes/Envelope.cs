using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Messaging.Adapters;

/// <summary>
/// One message as the contract carries it: identity, type, an opaque body and the metadata every
/// transport maps onto its broker (AMQP properties, Kafka headers, SQS message attributes).
/// </summary>
/// <remarks>
/// <para>An envelope is immutable; derive changed copies with a <c>with</c> expression.</para>
/// <para>The <see cref="Body"/> is not copied by the envelope. Do not mutate the memory behind it after
/// publishing: a broker would have copied it already, and transports are free not to.</para>
/// <para>Record equality compares <see cref="Body"/> and <see cref="Headers"/> by reference; compare
/// bodies with <c>Body.Span.SequenceEqual(...)</c>.</para>
/// </remarks>
public sealed record Envelope
{
    // Random bytes for ids, drawn from the OS in blocks: Guid.CreateVersion7 asks the OS once per id, which costs
    // microseconds on virtual machines and capped publishing at about 0.5 M messages/s per thread.
    [ThreadStatic]
    private static byte[]? t_randomBlock;
    [ThreadStatic]
    private static int t_randomUsed;

    private readonly string _id;
    private readonly string _type = "";
    private IReadOnlyDictionary<string, string> _headers = FrozenDictionary<string, string>.Empty;

    /// <summary>Creates an envelope with a new id and the current UTC time as its timestamp.</summary>
    /// <param name="type">The message type name, for example <c>order.placed</c>.</param>
    /// <param name="body">The serialized body; may be empty.</param>
    public Envelope(string type, ReadOnlyMemory<byte> body)
    {
        var now = DateTimeOffset.UtcNow;
        _id = NewId(now);
        Timestamp = now;
        Type = type;
        Body = body;
    }

    /// <summary>The message id. Stable across redeliveries and retries, so consumers can de-duplicate on it.</summary>
    /// <value>The default value is a new time-ordered GUID (version 7) in its 32-digit form.</value>
    public string Id
    {
        get => _id;
        init => _id = RequireText(value, nameof(Id));
    }

    /// <summary>The message type name that consumers filter and deserialize on, for example <c>order.placed</c>.</summary>
    public string Type
    {
        get => _type;
        init => _type = RequireText(value, nameof(Type));
    }

    /// <summary>The serialized body, carried byte for byte.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The MIME type of <see cref="Body"/>, for example <c>application/json</c>.</summary>
    /// <value>The default value is <see langword="null"/> (unspecified).</value>
    public string? ContentType { get; init; }

    /// <summary>The ordering and partitioning key: messages with the same key keep their order where the
    /// transport declares <see cref="TransportCapabilities.OrderingByKey"/>.</summary>
    /// <value>The default value is <see langword="null"/> (no key).</value>
    public string? Key { get; init; }

    /// <summary>Ties the messages of one conversation together; a reply carries its request's id here.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? CorrelationId { get; init; }

    /// <summary>The id of the message whose handling caused this one to be sent.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? CausationId { get; init; }

    /// <summary>The queue a reply should be sent to.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ReplyTo { get; init; }

    /// <summary>When the message was created.</summary>
    /// <value>The default value is the UTC time the envelope was created.</value>
    /// <remarks>Brokers keep this at a resolution of at least one millisecond; AMQP keeps whole seconds in its
    /// own property, so adapters carry the full value in a header as well.</remarks>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Free headers: string names and string values, any Unicode.</summary>
    /// <value>The default value is an empty dictionary.</value>
    /// <remarks>Names starting with <c>messaging.</c> are reserved for the library (see <see cref="EnvelopeHeaders"/>).</remarks>
    public IReadOnlyDictionary<string, string> Headers
    {
        get => _headers;
        init => _headers = value ?? throw new ArgumentNullException(nameof(Headers));
    }

    /// <summary>Returns a copy of this envelope with one header added or replaced.</summary>
    /// <param name="name">The header name.</param>
    /// <param name="value">The header value.</param>
    /// <returns>The new envelope; this one is unchanged.</returns>
    public Envelope WithHeader(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        var headers = new Dictionary<string, string>(Headers, StringComparer.Ordinal) { [name] = value };
        return this with { Headers = headers };
    }

    /// <summary>Returns a copy of this envelope with several headers added or replaced.</summary>
    /// <param name="headers">The headers to set.</param>
    /// <returns>The new envelope; this one is unchanged.</returns>
    public Envelope WithHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var merged = new Dictionary<string, string>(Headers, StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            ArgumentException.ThrowIfNullOrEmpty(name, nameof(headers));
            merged[name] = value ?? throw new ArgumentException($"Header '{name}' has a null value.", nameof(headers));
        }

        return this with { Headers = merged };
    }

    /// <summary>Creates a new message id: a time-ordered GUID (version 7, RFC 9562) in its 32-digit lowercase form.</summary>
    /// <returns>The new id.</returns>
    public static string NewId() => NewId(DateTimeOffset.UtcNow);

    private static string NewId(DateTimeOffset time)
    {
        const int BlockSize = 4096;
        const int RandomBytes = 10;
        var block = t_randomBlock ??= new byte[BlockSize];
        if (t_randomUsed == 0 || t_randomUsed + RandomBytes > BlockSize)
        {
            RandomNumberGenerator.Fill(block);
            t_randomUsed = 0;
        }

        Span<byte> id = stackalloc byte[16];
        Span<byte> milliseconds = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(milliseconds, time.ToUnixTimeMilliseconds());
        milliseconds[2..].CopyTo(id);                                   // 48-bit big-endian Unix time in ms
        block.AsSpan(t_randomUsed, RandomBytes).CopyTo(id[6..]);        // 74 random bits after the fixed ones below
        t_randomUsed += RandomBytes;
        id[6] = (byte)((id[6] & 0x0F) | 0x70);                          // version 7
        id[8] = (byte)((id[8] & 0x3F) | 0x80);                          // variant 10
        return Convert.ToHexStringLower(id);
    }

    private static string RequireText(string value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"Envelope.{name} must be a non-empty string.", name);
        }

        return value;
    }
}

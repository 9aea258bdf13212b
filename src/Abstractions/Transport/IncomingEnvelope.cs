using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Messaging.Adapters.Transport;

/// <summary>
/// Builds the <see cref="Envelope"/> of a message a transport received, whoever wrote it: this library, another
/// CloudEvents producer (binary or structured mode), or a plain client of the broker. One definition of a message's
/// identity, type, time and metadata for every transport.
/// </summary>
/// <remarks>
/// <para>The adapter sets what its broker carries natively (<see cref="MessageId"/>, <see cref="Type"/>, ...), hands
/// each CloudEvents attribute of the binding's form to <see cref="AddCloudEventAttribute"/> (prefix removed) and every
/// other header to <see cref="AddHeader"/>, then calls <see cref="Build"/>.</para>
/// <list type="bullet">
/// <item><description><b>id</b>: the CloudEvents <c>id</c>, else the native message id, else the broker's stable
/// identity of the message (<see cref="DeliveryIdentity"/>: a Kafka offset, an SQS message id), else a hash of the
/// message's content (body, content type, type, time and headers): stable across redeliveries, so idempotent handlers
/// can de-duplicate it; two identical foreign messages without an id get the same one.</description></item>
/// <item><description><b>type</b>: the CloudEvents <c>type</c>, else the native type, else the default the adapter
/// names. The same value the transport's broker-side filter matches and the handler sees.</description></item>
/// <item><description><b>time</b>: the CloudEvents <c>time</c> (RFC 3339 text or a native timestamp), else the
/// native timestamp, else the time of receipt.</description></item>
/// <item><description><b>Other attributes</b> (<c>source</c>, <c>subject</c>, <c>dataschema</c>, extensions) become
/// <see cref="CloudEventHeaders"/> (<c>ce-&lt;name&gt;</c>); <c>partitionkey</c> is the key, <c>causationid</c> the
/// causation id, <c>datacontenttype</c> the content type when the broker has none.</description></item>
/// <item><description><b>Structured mode</b>: a body of content type <c>application/cloudevents+json</c> is the event
/// itself; its attributes are read as above and its <c>data</c> (or <c>data_base64</c>) becomes the body.</description></item>
/// <item><description><b>Headers</b> of any native type are given in <see cref="HeaderText"/>'s string form.</description></item>
/// <item><description><b>Reserved headers from outside</b>: <see cref="EnvelopeHeaders.Attempt"/> steers the retry
/// pipeline, so it is kept only when the adapter vouches that this library's own retry path put it there
/// (<see cref="TrustsAttempt"/>); a foreign publisher's value is dropped and the delivery counts from 1.</description></item>
/// </list>
/// </remarks>
/// <param name="body">The body as received (the envelope keeps this memory: copy a buffer the client reuses).</param>
/// <param name="defaultType">The type of a message that names none, for example <c>amqp.message</c>.</param>
public sealed class IncomingEnvelope(ReadOnlyMemory<byte> body, string defaultType)
{
    private const string StructuredContentType = "application/cloudevents+json";
    private Dictionary<string, string>? _headers;
    private string? _ceId;
    private string? _ceType;
    private string? _ceTime;
    private string? _ceContentType;
    private string? _key;
    private string? _causationId;
    private string? _attempt;
    private ReadOnlyMemory<byte> _body = body;

    /// <summary>The broker's own message-id property, where it has one.</summary>
    public string? MessageId { get; set; }

    /// <summary>The broker's own type property, where it has one (AMQP <c>type</c>).</summary>
    public string? Type { get; set; }

    /// <summary>The content type property.</summary>
    public string? ContentType { get; set; }

    /// <summary>The correlation id property.</summary>
    public string? CorrelationId { get; set; }

    /// <summary>The reply-to property.</summary>
    public string? ReplyTo { get; set; }

    /// <summary>The broker's own timestamp property (AMQP keeps whole seconds).</summary>
    public DateTimeOffset? Timestamp { get; set; }

    /// <summary>A stable identity the broker gives this message (the same on every redelivery), used as id when the
    /// message names none; <see langword="null"/> where the broker has none (then a content hash is used).</summary>
    public string? DeliveryIdentity { get; set; }

    /// <summary>Whether <see cref="EnvelopeHeaders.Attempt"/> on this message was put there by this library's own retry
    /// path (for example, the message came back from the transport's delay queues); otherwise it is dropped.</summary>
    public bool TrustsAttempt { get; set; }

    /// <summary>Adds a CloudEvents attribute read in the binding's form.</summary>
    /// <param name="name">The attribute's name without the binding's prefix (<c>id</c>, <c>source</c>, an extension).</param>
    /// <param name="value">Its native value (text, or a native timestamp for <c>time</c>).</param>
    public void AddCloudEventAttribute(string name, object? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var text = value is DateTimeOffset or DateTime ? HeaderText.Format(value) : value is string s ? s : HeaderText.Format(value);
        switch (name)
        {
            case "specversion": break;
            case "id": _ceId = text; break;
            case "type": _ceType = text; break;
            case "time": _ceTime = text; break;
            case "datacontenttype": _ceContentType = text; break;
            case "partitionkey": _key = text; break;
            case "causationid": _causationId = text; break;
            default: (_headers ??= new Dictionary<string, string>(StringComparer.Ordinal))[CloudEventHeaders.Prefix + name] = text; break;
        }
    }

    /// <summary>Adds a header that is not a CloudEvents attribute.</summary>
    /// <param name="name">The header's name.</param>
    /// <param name="value">Its native value; see <see cref="HeaderText"/> for the string form the handler sees.</param>
    public void AddHeader(string name, object? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var text = value as string ?? HeaderText.Format(value);
        if (name == EnvelopeHeaders.Attempt)
        {
            _attempt = text;
            return;
        }

        (_headers ??= new Dictionary<string, string>(StringComparer.Ordinal))[name] = text;
    }

    /// <summary>Builds the envelope.</summary>
    /// <returns>The envelope.</returns>
    public Envelope Build()
    {
        if (IsStructured(ContentType ?? _ceContentType))
        {
            ReadStructured();
        }

        if (_attempt is not null && TrustsAttempt)
        {
            (_headers ??= new Dictionary<string, string>(StringComparer.Ordinal))[EnvelopeHeaders.Attempt] = _attempt;
        }

        var id = NonEmpty(_ceId) ?? NonEmpty(MessageId) ?? NonEmpty(DeliveryIdentity) ?? ContentHash();
        return new Envelope(NonEmpty(_ceType) ?? NonEmpty(Type) ?? defaultType, _body)
        {
            Id = id,
            ContentType = NonEmpty(ContentType) ?? NonEmpty(_ceContentType),
            Key = _key,
            CorrelationId = CorrelationId,
            CausationId = _causationId,
            ReplyTo = ReplyTo,
            Timestamp = ReadTime(),
            Headers = (IReadOnlyDictionary<string, string>?)_headers ?? System.Collections.Frozen.FrozenDictionary<string, string>.Empty,
        };
    }

    private static bool IsStructured(string? contentType) =>
        contentType is not null && contentType.StartsWith(StructuredContentType, StringComparison.OrdinalIgnoreCase)
        && (contentType.Length == StructuredContentType.Length || contentType[StructuredContentType.Length] is ';' or ' ');

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>Reads a structured-mode event: the body is the event, its <c>data</c> the message's body.</summary>
    private void ReadStructured()
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(_body);
        }
        catch (JsonException)
        {
            // Not an event after all: delivered as it is, so the handler (or the dead-letter queue) can look at it.
            return;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            ContentType = null;
            _ceContentType = null;
            ReadOnlyMemory<byte>? data = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "data":
                        data = property.Value.ValueKind == JsonValueKind.String && !IsJsonContent(ContentOf(document.RootElement))
                            ? Encoding.UTF8.GetBytes(property.Value.GetString()!)
                            : Encoding.UTF8.GetBytes(property.Value.GetRawText());
                        break;
                    case "data_base64" when property.Value.ValueKind == JsonValueKind.String:
                        data = Convert.FromBase64String(property.Value.GetString()!);
                        break;
                    default:
                        AddCloudEventAttribute(property.Name, property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText());
                        break;
                }
            }

            _body = data ?? ReadOnlyMemory<byte>.Empty;
            _ceContentType ??= data is null ? null : "application/json";
        }
    }

    private static string? ContentOf(JsonElement root) =>
        root.TryGetProperty("datacontenttype", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;

    private static bool IsJsonContent(string? contentType) =>
        contentType is null
        || contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("+json", StringComparison.OrdinalIgnoreCase)
        || contentType.StartsWith("text/json", StringComparison.OrdinalIgnoreCase);

    private DateTimeOffset ReadTime()
    {
        if (_ceTime is not null && DateTimeOffset.TryParse(_ceTime, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind | DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        return Timestamp ?? DateTimeOffset.UtcNow;
    }

    /// <summary>An id for a message that has none: a hash of what it carries, the same on every delivery.</summary>
    private string ContentHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var length = new byte[8];
        void Add(string? text)
        {
            var bytes = Encoding.UTF8.GetBytes(text ?? "\0");
            BinaryPrimitives.WriteInt64BigEndian(length, bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }

        Add(ContentType ?? _ceContentType);
        Add(_ceType ?? Type);
        Add(_ceTime ?? Timestamp?.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        Add(CorrelationId);
        if (_headers is not null)
        {
            foreach (var (name, value) in _headers.OrderBy(h => h.Key, StringComparer.Ordinal))
            {
                Add(name);
                Add(value);
            }
        }

        BinaryPrimitives.WriteInt64BigEndian(length, _body.Length);
        hash.AppendData(length);
        hash.AppendData(_body.Span);
        return Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, 16));
    }
}

using System.Collections.Frozen;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;

namespace Messaging.Adapters.Kafka.Publishing;

/// <summary>
/// The envelope on the CloudEvents Kafka protocol binding, binary mode: attributes in <c>ce_</c> headers, the content
/// type in <c>content-type</c>, the body as the value and <see cref="Envelope.Key"/> as the message key (the
/// <c>partitionkey</c> extension). Free headers travel as Kafka headers under their own names.
/// </summary>
internal static class KafkaEnvelope
{
    public const string Prefix = "ce_";
    public const string SpecVersion = "ce_specversion";
    public const string Id = "ce_id";
    public const string Source = "ce_source";
    public const string Type = "ce_type";
    public const string Time = "ce_time";
    public const string ContentType = "content-type";
    public const string CorrelationId = "ce_correlationid";
    public const string CausationId = "ce_causationid";
    public const string ReplyTo = "ce_replyto";

    /// <summary>A free header whose name a CloudEvents reader would take for an attribute is carried under this
    /// prefix, and read back under its own name.</summary>
    public const string EscapedHeaderPrefix = "messaging.kafka.header:";

    /// <summary>The type of a message that carries no <c>ce_type</c> (a foreign producer).</summary>
    public const string ForeignType = "kafka.message";

    private static readonly byte[] SpecVersion10 = "1.0"u8.ToArray();
    private static readonly IReadOnlyDictionary<string, string> NoHeaders = FrozenDictionary<string, string>.Empty;

    public static Message<string?, byte[]> ToMessage(Envelope message, string source)
    {
        var headers = new Headers
        {
            { SpecVersion, SpecVersion10 },
            { Id, Utf8(message.Id) },
            { Source, Utf8(source) },
            { Type, Utf8(message.Type) },
            { Time, Utf8(message.Timestamp.ToString("O", CultureInfo.InvariantCulture)) },
        };
        Add(headers, ContentType, message.ContentType);
        Add(headers, CorrelationId, message.CorrelationId);
        Add(headers, CausationId, message.CausationId);
        Add(headers, ReplyTo, message.ReplyTo);
        foreach (var (name, value) in message.Headers)
        {
            var carried = name.StartsWith(Prefix, StringComparison.Ordinal) || name == ContentType ? EscapedHeaderPrefix + name : name;
            headers.Add(carried, Utf8(value));
        }

        return new Message<string?, byte[]>
        {
            Key = message.Key,
            Value = Bytes(message.Body),
            Headers = headers,
            // The record's timestamp is left to the producer (the append time), which is what a read from a time
            // means; the envelope's own time travels in ce_time.
        };
    }

    /// <summary>Reads a consumed message. A message without <c>ce_id</c> (a foreign producer) gets an id made of its
    /// position, stable across redeliveries.</summary>
    public static Envelope FromMessage(ConsumeResult<string?, byte[]> result)
    {
        var raw = result.Message;
        string? id = null, type = null, time = null, contentType = null, correlationId = null, causationId = null, replyTo = null, partitionKey = null;
        Dictionary<string, string>? headers = null;
        if (raw.Headers is { } kafkaHeaders)
        {
            foreach (var header in kafkaHeaders)
            {
                var name = header.Key;
                var bytes = header.GetValueBytes();
                if (name.StartsWith(Prefix, StringComparison.Ordinal))
                {
                    switch (name)
                    {
                        case Id: id = Text(bytes); break;
                        case Type: type = Text(bytes); break;
                        case Time: time = Text(bytes); break;
                        case CorrelationId: correlationId = Text(bytes); break;
                        case CausationId: causationId = Text(bytes); break;
                        case ReplyTo: replyTo = Text(bytes); break;
                        case "ce_partitionkey": partitionKey = Text(bytes); break;
                        case SpecVersion or Source: break;
                        // Other CloudEvents extensions stay visible, under their attribute name.
                        default: (headers ??= new(StringComparer.Ordinal))[name[Prefix.Length..]] = Text(bytes) ?? ""; break;
                    }
                }
                else if (name == ContentType)
                {
                    contentType = Text(bytes);
                }
                else
                {
                    var own = name.StartsWith(EscapedHeaderPrefix, StringComparison.Ordinal) ? name[EscapedHeaderPrefix.Length..] : name;
                    (headers ??= new(StringComparer.Ordinal))[own] = Text(bytes) ?? "";
                }
            }
        }

        return new Envelope(NonEmpty(type) ?? ForeignType, raw.Value ?? [])
        {
            Id = NonEmpty(id) ?? string.Create(CultureInfo.InvariantCulture, $"kafka:{result.Topic}/{result.Partition.Value}/{result.Offset.Value}"),
            ContentType = NonEmpty(contentType),
            Key = raw.Key ?? NonEmpty(partitionKey),
            CorrelationId = NonEmpty(correlationId),
            CausationId = NonEmpty(causationId),
            ReplyTo = NonEmpty(replyTo),
            Timestamp = ReadTime(time, raw.Timestamp),
            Headers = headers ?? NoHeaders,
        };
    }

    private static void Add(Headers headers, string name, string? value)
    {
        if (value is not null)
        {
            headers.Add(name, Utf8(value));
        }
    }

    private static byte[] Utf8(string value) => Encoding.UTF8.GetBytes(value);

    private static byte[] Bytes(ReadOnlyMemory<byte> body) =>
        MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : body.ToArray();

    private static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static DateTimeOffset ReadTime(string? ceTime, Timestamp timestamp)
    {
        if (ceTime is not null && DateTimeOffset.TryParse(ceTime, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time))
        {
            return time;
        }

        return timestamp.Type == TimestampType.NotAvailable ? DateTimeOffset.UtcNow : timestamp.UtcDateTime;
    }
}

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using Messaging.Adapters.Transport;

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

    public static Message<string?, byte[]> ToMessage(Envelope message, string source)
    {
        var headers = new Headers
        {
            { SpecVersion, SpecVersion10 },
            { Id, Utf8(message.Id) },
            { Source, Utf8(message.Headers.TryGetValue(CloudEventHeaders.Source, out var own) ? own : source) },
            { Type, Utf8(message.Type) },
            { Time, Utf8(message.Timestamp.ToString("O", CultureInfo.InvariantCulture)) },
        };
        Add(headers, ContentType, message.ContentType);
        Add(headers, CorrelationId, message.CorrelationId);
        Add(headers, CausationId, message.CausationId);
        Add(headers, ReplyTo, message.ReplyTo);
        foreach (var (name, value) in message.Headers)
        {
            // CloudEvents attributes the envelope keeps as ce-<name> headers go back out in the binding's form.
            var carried = CloudEventHeaders.AttributeOf(name) is { } attribute
                ? attribute == "source" ? null : Prefix + attribute
                : name.StartsWith(Prefix, StringComparison.Ordinal) || name == ContentType ? EscapedHeaderPrefix + name : name;
            if (carried is not null)
            {
                headers.Add(carried, Utf8(value));
            }
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

    /// <summary>Reads a consumed message, whoever wrote it (see <see cref="IncomingEnvelope"/>): this library, another
    /// CloudEvents producer (binary mode under <c>ce_</c>, or structured mode), or a plain Kafka client. A message
    /// without an id gets its position, <c>kafka:&lt;topic&gt;/&lt;partition&gt;/&lt;offset&gt;</c>, stable across
    /// redeliveries; header bytes are read as UTF-8 text, or <c>base64:</c> when they are not.</summary>
    public static Envelope FromMessage(ConsumeResult<string?, byte[]> result)
    {
        var raw = result.Message;
        var incoming = new IncomingEnvelope(raw.Value ?? [], ForeignType)
        {
            DeliveryIdentity = string.Create(CultureInfo.InvariantCulture, $"kafka:{result.Topic}/{result.Partition.Value}/{result.Offset.Value}"),
            Timestamp = raw.Timestamp.Type == TimestampType.NotAvailable ? null : new DateTimeOffset(raw.Timestamp.UtcDateTime),
        };
        if (raw.Key is { } key)
        {
            // The binding: the message key is the partitionkey extension.
            incoming.AddCloudEventAttribute("partitionkey", key);
        }

        if (raw.Headers is { } kafkaHeaders)
        {
            foreach (var header in kafkaHeaders)
            {
                var name = header.Key;
                var text = HeaderText.Text(header.GetValueBytes() ?? []);
                if (name.Length > Prefix.Length && name.StartsWith(Prefix, StringComparison.Ordinal))
                {
                    switch (name)
                    {
                        case CorrelationId: incoming.CorrelationId = text; break;
                        case ReplyTo: incoming.ReplyTo = text; break;
                        default: incoming.AddCloudEventAttribute(name[Prefix.Length..], text); break;
                    }
                }
                else if (name == ContentType)
                {
                    incoming.ContentType = text;
                }
                else
                {
                    incoming.AddHeader(name.StartsWith(EscapedHeaderPrefix, StringComparison.Ordinal) ? name[EscapedHeaderPrefix.Length..] : name, text);
                }
            }
        }

        return incoming.Build();
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

}

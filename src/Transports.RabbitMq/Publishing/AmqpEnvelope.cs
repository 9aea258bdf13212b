using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Publishing;

/// <summary>
/// Maps the envelope onto AMQP 0-9-1 properties and back: the AMQP properties where AMQP has one (message id, type,
/// content type, correlation id, reply-to, timestamp) and the CloudEvents AMQP binding (<c>cloudEvents:</c>
/// application properties, here AMQP headers) for the rest, so any CloudEvents consumer can read the messages.
/// </summary>
/// <remarks>
/// <para>Free headers travel as AMQP headers of type <c>longstr</c> under their own names. On the way back, every
/// <c>longstr</c> header is a free header except the <c>cloudEvents:</c> ones and those the broker adds when it
/// dead-letters (<c>x-first-death-*</c>, <c>x-last-death-*</c>); headers of other AMQP types (<c>x-death</c>,
/// <c>x-delivery-count</c>, <c>x-stream-offset</c>, ...) are broker facts, not envelope headers.</para>
/// <para><c>cloudEvents:type</c> doubles as what subscription filters on the message type match in the
/// topic's headers exchange.</para>
/// </remarks>
internal static class AmqpEnvelope
{
    public const string CloudEventsPrefix = "cloudEvents:";
    public const string SpecVersionHeader = "cloudEvents:specversion";
    public const string IdHeader = "cloudEvents:id";
    public const string TypeHeader = "cloudEvents:type";
    public const string SourceHeader = "cloudEvents:source";
    public const string TimeHeader = "cloudEvents:time";

    /// <summary>The CloudEvents partitioning extension: the envelope's key.</summary>
    public const string PartitionKeyHeader = "cloudEvents:partitionkey";

    /// <summary>A CloudEvents extension attribute for the envelope's causation id.</summary>
    public const string CausationIdHeader = "cloudEvents:causationid";

    /// <summary>When the appending client sent a stream message (Unix milliseconds); refines a read from a time,
    /// which the broker resolves to the second.</summary>
    public const string AppendedAtHeader = "x-messaging-appended-at";

    /// <summary>The offset the broker puts on every message read from a stream.</summary>
    public const string StreamOffsetHeader = "x-stream-offset";

    /// <summary>How often a quorum queue delivered the message before (released or left by a crashed consumer).</summary>
    public const string DeliveryCountHeader = "x-delivery-count";

    private static readonly IReadOnlyDictionary<string, string> EmptyHeaders = FrozenDictionary<string, string>.Empty;

    /// <summary>RabbitMQ.Client's own header for matching returns to publishes.</summary>
    private const string PublishSequenceNumberHeader = "x-dotnet-pub-seq-no";

    /// <summary>Builds the AMQP properties of an envelope: persistent, with the CloudEvents attributes.</summary>
    /// <param name="message">The envelope.</param>
    /// <param name="source">The CloudEvents source attribute: who sent it.</param>
    /// <param name="appendedAt">For stream appends, the time to stamp as <see cref="AppendedAtHeader"/>.</param>
    /// <returns>The properties.</returns>
    public static BasicProperties ToProperties(Envelope message, string source, DateTimeOffset? appendedAt = null)
    {
        var headers = new Dictionary<string, object?>(message.Headers.Count + 8, StringComparer.Ordinal);
        foreach (var (name, value) in message.Headers)
        {
            headers[name] = value;
        }

        headers[SpecVersionHeader] = "1.0";
        headers[IdHeader] = message.Id;
        headers[TypeHeader] = message.Type;
        headers[SourceHeader] = source;
        headers[TimeHeader] = message.Timestamp.ToString("O", CultureInfo.InvariantCulture);
        if (message.Key is { } key)
        {
            headers[PartitionKeyHeader] = key;
        }

        if (message.CausationId is { } causationId)
        {
            headers[CausationIdHeader] = causationId;
        }

        if (appendedAt is { } time)
        {
            headers[AppendedAtHeader] = time.ToUnixTimeMilliseconds();
        }

        return new BasicProperties
        {
            MessageId = message.Id,
            Type = message.Type,
            ContentType = message.ContentType,
            CorrelationId = message.CorrelationId,
            ReplyTo = message.ReplyTo,
            Timestamp = new AmqpTimestamp(message.Timestamp.ToUnixTimeSeconds()),
            DeliveryMode = DeliveryModes.Persistent,
            Headers = headers,
        };
    }

    /// <summary>Reads the envelope of a delivery, copying the body (the client reuses its buffer after the callback).</summary>
    /// <param name="properties">The delivery's properties.</param>
    /// <param name="body">The delivery's body.</param>
    /// <returns>The envelope.</returns>
    /// <remarks>Messages from other publishers are read too: a missing id becomes a new one (so it is not stable
    /// across redeliveries), a missing type becomes <c>amqp.message</c>.</remarks>
    public static Envelope FromDelivery(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body)
    {
        var raw = properties.Headers;
        Dictionary<string, string>? headers = null;
        string? ceId = null, ceType = null, ceTime = null, key = null, causationId = null;
        if (raw is not null)
        {
            foreach (var (name, value) in raw)
            {
                if (name.StartsWith(CloudEventsPrefix, StringComparison.Ordinal))
                {
                    switch (name)
                    {
                        // The id and type travel as AMQP properties too; their headers are read only without them.
                        case IdHeader when string.IsNullOrEmpty(properties.MessageId): ceId = Text(value); break;
                        case TypeHeader when string.IsNullOrEmpty(properties.Type): ceType = Text(value); break;
                        case TimeHeader: ceTime = Text(value); break;
                        case PartitionKeyHeader: key = Text(value); break;
                        case CausationIdHeader: causationId = Text(value); break;
                    }
                }
                else if (!IsBrokerHeader(name) && Text(value) is { } text)
                {
                    (headers ??= new Dictionary<string, string>(StringComparer.Ordinal))[name] = text;
                }
            }
        }

        var id = NonEmpty(properties.MessageId) ?? NonEmpty(ceId) ?? Envelope.NewId();
        var type = NonEmpty(properties.Type) ?? NonEmpty(ceType) ?? "amqp.message";
        return new Envelope(type, body.ToArray())
        {
            Id = id,
            ContentType = properties.ContentType,
            Key = key,
            CorrelationId = properties.CorrelationId,
            CausationId = causationId,
            ReplyTo = properties.ReplyTo,
            Timestamp = ReadTime(ceTime, properties),
            Headers = headers ?? EmptyHeaders,
        };
    }

    /// <summary>Reads a <c>long</c>-valued header the broker or the transport set (offsets, times).</summary>
    /// <param name="properties">The delivery's properties.</param>
    /// <param name="name">The header.</param>
    /// <returns>The value, or <see langword="null"/>.</returns>
    public static long? ReadLong(IReadOnlyBasicProperties properties, string name) =>
        properties.Headers is { } headers && headers.TryGetValue(name, out var value)
            ? value switch
            {
                long l => l,
                int i => i,
                short s => s,
                byte b => b,
                ulong u when u <= long.MaxValue => (long)u,
                uint u => u,
                _ => null,
            }
            : null;

    private static bool IsBrokerHeader(string name) =>
        name == PublishSequenceNumberHeader
        || name.StartsWith("x-first-death-", StringComparison.Ordinal)
        || name.StartsWith("x-last-death-", StringComparison.Ordinal);

    private static string? Text(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string text => text,
        _ => null,
    };

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static DateTimeOffset ReadTime(string? ceTime, IReadOnlyBasicProperties properties)
    {
        if (ceTime is not null && DateTimeOffset.TryParse(ceTime, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time))
        {
            return time;
        }

        return properties.IsTimestampPresent()
            ? DateTimeOffset.FromUnixTimeSeconds(properties.Timestamp.UnixTime)
            : DateTimeOffset.UtcNow;
    }
}

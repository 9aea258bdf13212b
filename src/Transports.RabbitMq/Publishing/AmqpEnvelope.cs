using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using Messaging.Adapters.Transport;
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

    /// <summary>The AMQP binding's other prefix (its preferred form since it allows only <c>_</c> in names); read,
    /// never written.</summary>
    public const string CloudEventsAlternatePrefix = "cloudEvents_";

    // The attribute names of the headers every message of this library carries, under both prefixes, so reading a
    // delivery does not cut a new string out of each header name.
    private static readonly FrozenDictionary<string, string> KnownAttributes =
        new[] { "specversion", "id", "type", "source", "time", "datacontenttype", "subject", "dataschema", "partitionkey", "causationid" }
            .SelectMany(a => new[] { KeyValuePair.Create(CloudEventsPrefix + a, a), KeyValuePair.Create(CloudEventsAlternatePrefix + a, a) })
            .ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The envelope header for the AMQP <c>content-encoding</c> property (written back as the property).</summary>
    public const string ContentEncodingHeader = "amqp.content-encoding";

    /// <summary>The envelope header for the AMQP <c>app-id</c> property (written back as the property).</summary>
    public const string AppIdHeader = "amqp.app-id";

    /// <summary>The envelope header for the AMQP <c>user-id</c> property (kept as a header only).</summary>
    public const string UserIdHeader = "amqp.user-id";

    /// <summary>The envelope header for the AMQP <c>priority</c> property (written back as the property).</summary>
    public const string PriorityHeader = "amqp.priority";

    /// <summary>The envelope header for the AMQP <c>expiration</c> property (kept as a header only).</summary>
    public const string ExpirationHeader = "amqp.expiration";

    /// <summary>The broker's record of a message's dead-lettering (and of its delayed retries' expiry).</summary>
    public const string DeathHeader = "x-death";
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

    /// <summary>RabbitMQ.Client's own header for matching returns to publishes, on messages other .NET publishers sent
    /// with the client's confirm tracking (this transport tracks confirms itself and never writes it).</summary>
    private const string PublishSequenceNumberHeader = "x-dotnet-pub-seq-no";

    /// <summary>Builds the AMQP properties of an envelope: persistent, with the CloudEvents attributes.</summary>
    /// <param name="message">The envelope.</param>
    /// <param name="source">The CloudEvents source attribute: who sent it.</param>
    /// <param name="appendedAt">For stream appends, the time to stamp as <see cref="AppendedAtHeader"/>.</param>
    /// <param name="nativeHeaders">For a retry or dead letter, the headers of the delivery it comes from: a header the
    /// envelope still holds unchanged goes out with its original AMQP value and type (an integer stays an integer,
    /// bytes that are not UTF-8 stay those bytes) rather than the envelope's string form.</param>
    /// <returns>The properties.</returns>
    public static BasicProperties ToProperties(Envelope message, string source, DateTimeOffset? appendedAt = null, IDictionary<string, object?>? nativeHeaders = null)
    {
        var headers = new Dictionary<string, object?>(message.Headers.Count + 8, StringComparer.Ordinal);
        string? contentEncoding = null, appId = null;
        byte? priority = null;
        foreach (var (name, value) in message.Headers)
        {
            // AMQP properties of a foreign message that the envelope has no place for go back out as properties, so a
            // retried or dead-lettered gzip body keeps its encoding (user-id and expiration stay headers: the broker
            // refuses a user-id other than the publisher's, and an expiration would expire the dead letter).
            switch (name)
            {
                case ContentEncodingHeader: contentEncoding = value; continue;
                case AppIdHeader: appId = value; continue;
                case PriorityHeader when byte.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed): priority = parsed; continue;
            }

            // CloudEvents attributes the envelope has no property for (a foreign event's source, subject,
            // extensions) go back out in the binding's form, so a retry or dead letter keeps them.
            if (CloudEventHeaders.AttributeOf(name) is { } attribute)
            {
                headers[CloudEventsPrefix + attribute] = value;
            }
            else
            {
                headers[name] = nativeHeaders is not null && nativeHeaders.TryGetValue(name, out var original) && value == HeaderText.Format(Native(original))
                    ? original
                    : value;
            }
        }

        headers[SpecVersionHeader] = "1.0";
        headers[IdHeader] = message.Id;
        headers[TypeHeader] = message.Type;
        if (!message.Headers.ContainsKey(CloudEventHeaders.Source))
        {
            headers[SourceHeader] = source;
        }

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

        var properties = new BasicProperties
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
        if (contentEncoding is not null)
        {
            properties.ContentEncoding = contentEncoding;
        }

        if (appId is not null)
        {
            properties.AppId = appId;
        }

        if (priority is { } level)
        {
            properties.Priority = level;
        }

        return properties;
    }

    /// <summary>Reads the envelope of a delivery, copying the body (the client reuses its buffer after the callback).</summary>
    /// <param name="properties">The delivery's properties.</param>
    /// <param name="body">The delivery's body.</param>
    /// <returns>The envelope.</returns>
    /// <remarks>Messages from other publishers are read the same way (see <see cref="IncomingEnvelope"/>): CloudEvents
    /// attributes under either prefix of the AMQP binding (<c>cloudEvents:</c> and <c>cloudEvents_</c>), as text or,
    /// for <c>time</c>, a native AMQP timestamp; structured mode; headers of every AMQP type in
    /// <see cref="HeaderText"/>'s string form; a message without id gets a hash of its content. The broker's own
    /// headers (<c>x-death</c>, <c>x-first-death-*</c>, <c>x-last-death-*</c>, <c>x-delivery-count</c>,
    /// <c>x-stream-offset</c>) and the transport's (<see cref="AppendedAtHeader"/>) are broker facts, not envelope
    /// headers.</remarks>
    public static Envelope FromDelivery(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body)
    {
        var incoming = new IncomingEnvelope(body.ToArray(), "amqp.message")
        {
            MessageId = properties.MessageId,
            Type = properties.Type,
            ContentType = properties.ContentType,
            CorrelationId = properties.CorrelationId,
            ReplyTo = properties.ReplyTo,
            Timestamp = properties.IsTimestampPresent() ? DateTimeOffset.FromUnixTimeSeconds(properties.Timestamp.UnixTime) : null,
        };
        if (properties.IsContentEncodingPresent())
        {
            incoming.AddHeader(ContentEncodingHeader, properties.ContentEncoding);
        }

        if (properties.IsAppIdPresent())
        {
            incoming.AddHeader(AppIdHeader, properties.AppId);
        }

        if (properties.IsUserIdPresent())
        {
            incoming.AddHeader(UserIdHeader, properties.UserId);
        }

        if (properties.IsPriorityPresent())
        {
            incoming.AddHeader(PriorityHeader, properties.Priority.ToString(CultureInfo.InvariantCulture));
        }

        if (properties.IsExpirationPresent())
        {
            incoming.AddHeader(ExpirationHeader, properties.Expiration);
        }

        if (properties.Headers is { } raw)
        {
            foreach (var (name, value) in raw)
            {
                if (name.Length > CloudEventsPrefix.Length
                    && (name.StartsWith(CloudEventsPrefix, StringComparison.Ordinal) || name.StartsWith(CloudEventsAlternatePrefix, StringComparison.Ordinal)))
                {
                    incoming.AddCloudEventAttribute(KnownAttributes.GetValueOrDefault(name) ?? name[CloudEventsPrefix.Length..], Native(value));
                }
                else if (!IsBrokerHeader(name))
                {
                    incoming.AddHeader(name, Native(value));
                }
            }

            incoming.TrustsAttempt = CameBackFromDelay(raw);
        }

        return incoming.Build();
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
        name is PublishSequenceNumberHeader or DeathHeader or DeliveryCountHeader or StreamOffsetHeader or AppendedAtHeader
        || name.StartsWith("x-first-death-", StringComparison.Ordinal)
        || name.StartsWith("x-last-death-", StringComparison.Ordinal);

    /// <summary>RabbitMQ.Client's types that have no .NET equivalent, as the plain values <see cref="HeaderText"/> reads.</summary>
    private static object? Native(object? value) => value switch
    {
        AmqpTimestamp timestamp => DateTimeOffset.FromUnixTimeSeconds(timestamp.UnixTime),
        BinaryTableValue binary => Convert.ToBase64String(binary.Bytes) is var base64 ? HeaderText.Base64Prefix + base64 : null,
        System.Collections.IList list when value is not byte[] => list.Cast<object?>().Select(Native).ToList(),
        IDictionary<string, object?> table => table.ToDictionary(entry => entry.Key, entry => Native(entry.Value), StringComparer.Ordinal),
        _ => value,
    };

    /// <summary>Whether the message came back from this transport's delay queues (a delayed retry, whose
    /// <see cref="EnvelopeHeaders.Attempt"/> this library wrote): the broker records that in <c>x-death</c>.</summary>
    private static bool CameBackFromDelay(IDictionary<string, object?> headers) =>
        headers.TryGetValue(DeathHeader, out var deaths) && deaths is System.Collections.IList entries
        && entries.OfType<IDictionary<string, object?>>().Any(entry =>
            entry.TryGetValue("queue", out var queue) && queue is byte[] name
            && Encoding.UTF8.GetString(name) is var text
            && (text.StartsWith(Topology.TopologyNames.DelayLevelPrefix, StringComparison.Ordinal) || text.Contains(".retry.", StringComparison.Ordinal)));

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

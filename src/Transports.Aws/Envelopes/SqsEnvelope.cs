using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon.SQS.Model;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Aws.Envelopes;

/// <summary>
/// An <see cref="Envelope"/> as SQS and SNS carry it: the body as the message text, the envelope's fields as
/// CloudEvents attributes (<c>ce-id</c>, <c>ce-type</c>, ...) and its headers as message attributes, within SQS's limit
/// of 10 message attributes, which SNS raw delivery also keeps to.
/// </summary>
/// <remarks>
/// <para>The CloudEvents attributes come first and always travel as attributes of their own, so any CloudEvents reader
/// sees them. Headers follow, each as an attribute named after it, so SNS filter policies can match them. When more
/// than 10 would be needed, or a header's name or value cannot be an SQS attribute (characters SQS refuses, an empty
/// value, a name of ours), the rest travel together as JSON in one attribute, <see cref="PackedAttribute"/>.</para>
/// <para>A body that is UTF-8 text of characters SQS accepts (and within the Basic Multilingual Plane, which every
/// SQS implementation accepts) travels as it is; any other body travels base64-encoded, marked with
/// <c>ce-datacontentencoding: base64</c> (CloudEvents 0.3's attribute for it).</para>
/// <para>A message without attributes whose body is a CloudEvents 1.0 structured-mode JSON event (what a rule of an
/// event-bus topic delivers) is read as that event. Any other message without our attributes (a plain SQS send) is
/// still delivered: its SQS message id is the id, its type <see cref="ForeignType"/>, its attributes headers.</para>
/// </remarks>
internal static class SqsEnvelope
{
    /// <summary>The most message attributes SQS takes (and SNS passes on with raw delivery).</summary>
    public const int MaxAttributes = 10;

    /// <summary>The attribute that carries, as JSON, what did not fit in attributes of its own.</summary>
    public const string PackedAttribute = "messaging-packed";

    /// <summary>The type of a message that carries no <c>ce-type</c>.</summary>
    public const string ForeignType = "aws.sqs.message";

    public const string SpecVersion = "ce-specversion";
    public const string Id = "ce-id";
    public const string Type = "ce-type";
    public const string Source = "ce-source";
    public const string Time = "ce-time";
    public const string DataContentType = "ce-datacontenttype";
    public const string DataContentEncoding = "ce-datacontentencoding";
    public const string PartitionKey = "ce-partitionkey";
    public const string CorrelationId = "ce-correlationid";
    public const string CausationId = "ce-causationid";
    public const string ReplyTo = "ce-replyto";

    /// <summary>The message as it goes on the wire.</summary>
    public static WireMessage ToWire(Envelope message, string source)
    {
        var (body, base64) = EncodeBody(message.Body.Span);
        var own = new List<KeyValuePair<string, string>>(MaxAttributes)
        {
            new(SpecVersion, "1.0"),
            new(Id, message.Id),
            new(Type, message.Type),
            new(Source, message.Headers.TryGetValue(CloudEventHeaders.Source, out var carried) && carried.Length > 0 ? carried : source),
            new(Time, message.Timestamp.ToString("O", CultureInfo.InvariantCulture)),
        };
        if (base64)
        {
            own.Add(new(DataContentEncoding, "base64"));
        }

        Optional(own, DataContentType, message.ContentType);
        Optional(own, PartitionKey, message.Key);

        // Headers before the remaining extensions, so that as many headers as possible can be matched by filter policies.
        // A header that is a CloudEvents attribute of a foreign event (ce-subject, an extension) goes back out as that
        // attribute, so retries and dead letters keep it in the binding's form.
        var candidates = new List<KeyValuePair<string, string>>();
        var packedHeaders = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in message.Headers.OrderBy(h => CloudEventHeaders.AttributeOf(h.Key) is null).ThenBy(h => EnvelopeHeaders.IsReserved(h.Key)).ThenBy(h => h.Key, StringComparer.Ordinal))
        {
            if (name == CloudEventHeaders.Source)
            {
                continue;
            }

            if (CloudEventHeaders.AttributeOf(name) is { } attribute && !OwnAttributes.Contains(attribute) && IsSqsText(value) && value.Length > 0)
            {
                candidates.Add(new(name, value));
            }
            else if (CanBeAttribute(name, value))
            {
                candidates.Add(new(name, value));
            }
            else
            {
                packedHeaders[name] = value;
            }
        }

        var extensions = new List<KeyValuePair<string, string>>();
        Optional(extensions, CorrelationId, message.CorrelationId);
        Optional(extensions, CausationId, message.CausationId);
        Optional(extensions, ReplyTo, message.ReplyTo);

        // A field whose text SQS would refuse as an attribute value (control characters, characters beyond the Basic
        // Multilingual Plane) travels packed, where JSON escapes it.
        var packedAttributes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in own.Concat(extensions).Where(f => !IsSqsText(f.Value)).ToList())
        {
            packedAttributes[field.Key] = field.Value;
            own.Remove(field);
            extensions.Remove(field);
        }

        candidates.AddRange(extensions);
        var attributes = own;
        var room = MaxAttributes - attributes.Count;
        var fitsAll = packedHeaders.Count == 0 && packedAttributes.Count == 0 && candidates.Count <= room;
        var individual = fitsAll ? candidates.Count : room - 1;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (i < individual)
            {
                attributes.Add(candidates[i]);
            }
            else if (IsOwn(candidates[i].Key))
            {
                packedAttributes[candidates[i].Key] = candidates[i].Value;
            }
            else
            {
                packedHeaders[candidates[i].Key] = candidates[i].Value;
            }
        }

        if (!fitsAll)
        {
            attributes.Add(new(PackedAttribute, JsonSerializer.Serialize(new PackedFields { Attributes = packedAttributes, Headers = packedHeaders }, PackedFieldsContext.Default.PackedFields)));
        }

        var size = Encoding.UTF8.GetByteCount(body);
        foreach (var (name, value) in attributes)
        {
            size += Encoding.UTF8.GetByteCount(name) + "String".Length + Encoding.UTF8.GetByteCount(value);
        }

        return new WireMessage(body, attributes, size);
    }

    /// <summary>The envelope of a received SQS message, whoever sent it (see <see cref="IncomingEnvelope"/>): our own
    /// messages, other CloudEvents producers (binary mode under <c>ce-</c> attributes, structured mode), plain SQS sends.</summary>
    public static Envelope FromSqs(Message message)
    {
        // What an event-bus subscription's rule delivers: a CloudEvents structured-mode JSON event, no attributes of ours.
        if (message.MessageAttributes is not { Count: > 0 } && Topology.EventBridgeEvents.TryRead(message.Body ?? "") is { } structured)
        {
            return structured;
        }

        var attributes = new List<KeyValuePair<string, object?>>();
        string? packedText = null;
        var base64 = false;
        foreach (var (name, value) in message.MessageAttributes ?? [])
        {
            if (name == PackedAttribute && value.StringValue is { } packed)
            {
                packedText = packed;
            }
            else if (name == DataContentEncoding)
            {
                base64 = string.Equals(value.StringValue, "base64", StringComparison.OrdinalIgnoreCase);
            }
            else
            {
                attributes.Add(new(name, value.BinaryValue is { } binary ? binary.ToArray() : value.StringValue));
            }
        }

        var incoming = new IncomingEnvelope(DecodeBody(message.Body ?? "", base64), ForeignType)
        {
            DeliveryIdentity = message.MessageId,
            Timestamp = SentTime(message),
        };
        foreach (var (name, value) in attributes)
        {
            Add(incoming, name, value, header: false);
        }

        if (packedText is not null)
        {
            PackedFields? packed = null;
            try
            {
                packed = JsonSerializer.Deserialize(packedText, PackedFieldsContext.Default.PackedFields);
            }
            catch (JsonException)
            {
                // Not ours after all: keep it as the header it looks like.
                incoming.AddHeader(PackedAttribute, packedText);
            }

            foreach (var (name, value) in packed?.Attributes ?? [])
            {
                Add(incoming, name, value, header: false);
            }

            foreach (var (name, value) in packed?.Headers ?? [])
            {
                Add(incoming, name, value, header: true);
            }
        }

        // A FIFO message's group is its key, unless it is the message's own id: what a keyless message is sent with
        // (every FIFO message needs a group), which must arrive keyless.
        if (!attributes.Any(a => a.Key == PartitionKey) && GroupId(message) is { } group
            && !attributes.Any(a => a.Key == Id && a.Value as string == group))
        {
            incoming.AddCloudEventAttribute("partitionkey", group);
        }

        return incoming.Build();
    }

    /// <summary>One attribute (or packed entry) into the envelope: CloudEvents attributes under <c>ce-</c>, the two the
    /// envelope has properties for (correlation id, reply-to), a <c>content-type</c> attribute, headers.</summary>
    private static void Add(IncomingEnvelope incoming, string name, object? value, bool header)
    {
        var text = value as string;
        switch (name)
        {
            case CorrelationId when text is not null:
                incoming.CorrelationId = text;
                return;
            case ReplyTo when text is not null:
                incoming.ReplyTo = text;
                return;
            case "content-type" or "Content-Type" when text is not null && !header:
                incoming.ContentType = text;
                return;
        }

        if (CloudEventHeaders.AttributeOf(name) is { } attribute)
        {
            incoming.AddCloudEventAttribute(attribute, value);
        }
        else
        {
            incoming.AddHeader(name, value);
        }
    }

    /// <summary>Whether a header can travel as an attribute of its own: a valid SQS attribute name that is not one of
    /// ours, and a non-empty value of characters SQS accepts.</summary>
    internal static bool CanBeAttribute(string name, string value)
    {
        if (name.Length is 0 or > 256 || value.Length == 0 || IsOwn(name) || name == PackedAttribute)
        {
            return false;
        }

        if (name.StartsWith("AWS.", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Amazon.", StringComparison.OrdinalIgnoreCase)
            || name[0] == '.' || name[^1] == '.' || name.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                return false;
            }
        }

        return IsSqsText(value);
    }

    private static bool IsOwn(string name) => name.StartsWith("ce-", StringComparison.Ordinal);

    /// <summary>The CloudEvents attributes this binding writes from the envelope's own fields.</summary>
    private static readonly HashSet<string> OwnAttributes = new(StringComparer.Ordinal)
    {
        "specversion", "id", "type", "source", "time", "datacontenttype", "datacontentencoding", "partitionkey", "correlationid", "causationid", "replyto",
    };

    /// <summary>Whether SQS takes the text as it is: XML 1.0 characters of the Basic Multilingual Plane.</summary>
    private static bool IsSqsText(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!(c is '\t' or '\n' or '\r' || (c >= '\u0020' && c <= '\uD7FF') || (c >= '\uE000' && c <= '\uFFFD')))
            {
                return false;
            }
        }

        return true;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static (string Body, bool Base64) EncodeBody(ReadOnlySpan<byte> body)
    {
        if (body.Length == 0)
        {
            // SQS and SNS refuse an empty message text: an empty body travels as base64 of nothing padded with a
            // space, which base64 decoders skip.
            return (" ", true);
        }

        try
        {
            // A leading byte order mark would be lost by a text round trip: keep such bodies exact.
            if (!body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                var text = StrictUtf8.GetString(body);
                if (IsSqsText(text))
                {
                    return (text, false);
                }
            }
        }
        catch (DecoderFallbackException)
        {
            // Not UTF-8: base64 below.
        }

        return (Convert.ToBase64String(body), true);
    }

    private static byte[] DecodeBody(string body, bool base64)
    {
        if (base64)
        {
            try
            {
                return Convert.FromBase64String(body);
            }
            catch (FormatException)
            {
                // Marked base64 by someone else, but not: hand over the text rather than lose the message.
            }
        }

        return Encoding.UTF8.GetBytes(body);
    }

    private static void Optional(List<KeyValuePair<string, string>> into, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            into.Add(new(name, value));
        }
    }

    private static string? Take(Dictionary<string, string> attributes, string name) =>
        attributes.Remove(name, out var value) && value.Length > 0 ? value : null;

    private static string? GroupId(Message message) =>
        message.Attributes is { } system && system.TryGetValue("MessageGroupId", out var group) && group.Length > 0 ? group : null;

    private static DateTimeOffset SentTime(Message message) =>
        message.Attributes is { } system && system.TryGetValue("SentTimestamp", out var sent) && long.TryParse(sent, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.UtcNow;
}

/// <summary>A message as it goes on the wire: its text, its attributes (all of data type <c>String</c>) and the size
/// SQS counts against its limit (body and attributes).</summary>
internal sealed record WireMessage(string Body, IReadOnlyList<KeyValuePair<string, string>> Attributes, int Size)
{
    public Dictionary<string, MessageAttributeValue> SqsAttributes()
    {
        var attributes = new Dictionary<string, MessageAttributeValue>(Attributes.Count, StringComparer.Ordinal);
        foreach (var (name, value) in Attributes)
        {
            attributes[name] = new MessageAttributeValue { DataType = "String", StringValue = value };
        }

        return attributes;
    }
}

/// <summary>What travels in <see cref="SqsEnvelope.PackedAttribute"/>.</summary>
internal sealed class PackedFields
{
    public SortedDictionary<string, string>? Attributes { get; set; }

    public SortedDictionary<string, string>? Headers { get; set; }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(PackedFields))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class PackedFieldsContext : System.Text.Json.Serialization.JsonSerializerContext;

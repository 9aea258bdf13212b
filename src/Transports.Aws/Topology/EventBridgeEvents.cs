using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Messaging.Adapters.Aws.Clients;

namespace Messaging.Adapters.Aws.Topology;

/// <summary>
/// A topic on an EventBridge bus: each message is an event whose <c>detail-type</c> is the message type and whose
/// <c>detail</c> carries the topic and the envelope; each subscription is a rule whose event pattern is built from the
/// subscription's filter, so EventBridge routes only matching events to the subscription's queue.
/// </summary>
/// <remarks>
/// <para>The event: <c>source</c> = the configured source; <c>detail-type</c> = <see cref="Envelope.Type"/>;
/// <c>detail</c> = the message as a CloudEvents 1.0 structured-mode JSON event (<c>specversion</c>, <c>id</c>,
/// <c>source</c>, <c>type</c>, <c>time</c>, <c>datacontenttype</c>?, <c>partitionkey</c>?, <c>correlationid</c>?,
/// <c>causationid</c>?, <c>replyto</c>?) plus <c>topic</c> and a <c>headers</c> object, and <c>data</c> (a compact
/// JSON body, embedded so patterns can reach into it) or <c>data_base64</c> (any other body), so that every body is
/// carried byte for byte. A subscription's rule hands the queue the detail alone (<c>InputPath: $.detail</c>), which
/// <see cref="TryRead"/> reads back.</para>
/// <para>The pattern of subscription <c>s</c> of topic <c>t</c>: <c>{"source": [source], "detail-type": [types...]?,
/// "detail": {"topic": [t], "headers": {name: [value]}?}}</c>: EventBridge matches a field against a list of allowed
/// values, fields together, headers exactly as <see cref="SubscriptionFilter.Matches"/> does.</para>
/// <para>Not wired into the transport yet (see the adapter's README): the building blocks, proved against EventBridge's
/// documented pattern semantics and the official SDK's requests.</para>
/// </remarks>
internal static class EventBridgeEvents
{
    /// <summary>The event for one message of a topic.</summary>
    public static EventBridgeEntry ToEntry(Envelope message, string topic, string eventBus, string source)
    {
        var detail = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = message.Id,
            ["source"] = source,
            ["type"] = message.Type,
            ["time"] = message.Timestamp.ToString("O", CultureInfo.InvariantCulture),
            ["topic"] = topic,
        };
        Optional(detail, "datacontenttype", message.ContentType);
        Optional(detail, "partitionkey", message.Key);
        Optional(detail, "correlationid", message.CorrelationId);
        Optional(detail, "causationid", message.CausationId);
        Optional(detail, "replyto", message.ReplyTo);
        var headers = new JsonObject();
        foreach (var (name, value) in message.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            headers[name] = value;
        }

        detail["headers"] = headers;
        if (AsJson(message.Body.Span) is { } json)
        {
            detail["data"] = json;
        }
        else
        {
            detail["data_base64"] = Convert.ToBase64String(message.Body.Span);
        }

        return new EventBridgeEntry(eventBus, source, message.Type, detail.ToJsonString(), message.Timestamp);
    }

    /// <summary>The event pattern of subscription of <paramref name="topic"/> with <paramref name="filter"/>.</summary>
    public static string Pattern(string topic, SubscriptionFilter? filter, string source)
    {
        var pattern = new JsonObject { ["source"] = new JsonArray(JsonValue.Create(source)) };
        if (filter is { MessageTypes.Count: > 0 })
        {
            pattern["detail-type"] = new JsonArray([.. filter.MessageTypes.Order(StringComparer.Ordinal).Select(t => JsonValue.Create(t))]);
        }

        var detail = new JsonObject { ["topic"] = new JsonArray(JsonValue.Create(topic)) };
        if (filter is { Headers.Count: > 0 })
        {
            var headers = new JsonObject();
            foreach (var (name, value) in filter.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
            {
                headers[name] = new JsonArray(JsonValue.Create(value));
            }

            detail["headers"] = headers;
        }

        pattern["detail"] = detail;
        return pattern.ToJsonString();
    }

    /// <summary>The envelope of a CloudEvents 1.0 structured-mode JSON event (what an event-bus subscription's queue
    /// receives), or <see langword="null"/> when the text is not one.</summary>
    public static Envelope? TryRead(string text)
    {
        if (text.Length == 0 || text[0] != '{')
        {
            return null;
        }

        JsonObject? cloudEvent;
        try
        {
            cloudEvent = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }

        if (cloudEvent is null || Text(cloudEvent, "specversion") != "1.0" || Text(cloudEvent, "id") is not { Length: > 0 } id
            || Text(cloudEvent, "type") is not { Length: > 0 } type || Text(cloudEvent, "source") is null)
        {
            return null;
        }

        byte[] body;
        if (Text(cloudEvent, "data_base64") is { } base64)
        {
            try
            {
                body = Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                return null;
            }
        }
        else
        {
            body = cloudEvent["data"] is { } data ? Encoding.UTF8.GetBytes(data.ToJsonString()) : [];
        }

        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if (cloudEvent["headers"] is JsonObject carried)
        {
            foreach (var (name, value) in carried)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var headerValue))
                {
                    headers[name] = headerValue;
                }
            }
        }

        return new Envelope(type, body)
        {
            Id = id,
            Timestamp = Text(cloudEvent, "time") is { } time && DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed) ? parsed : DateTimeOffset.UtcNow,
            ContentType = Text(cloudEvent, "datacontenttype"),
            Key = Text(cloudEvent, "partitionkey"),
            CorrelationId = Text(cloudEvent, "correlationid"),
            CausationId = Text(cloudEvent, "causationid"),
            ReplyTo = Text(cloudEvent, "replyto"),
            Headers = headers,
        };
    }

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static void Optional(JsonObject into, string name, string? value)
    {
        if (value is not null)
        {
            into[name] = value;
        }
    }

    private static JsonNode? AsJson(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        try
        {
            // Embedded only when it comes back byte for byte (compact JSON): the body is carried exactly, or as base64.
            var reader = new Utf8JsonReader(body);
            var node = JsonNode.Parse(ref reader);
            return reader.BytesConsumed == body.Length && node is not null && body.SequenceEqual(Encoding.UTF8.GetBytes(node.ToJsonString())) ? node : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

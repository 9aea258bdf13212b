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
/// <c>detail</c> = <c>{"topic", "id", "time", "datacontenttype"?, "key"?, "correlationid"?, "causationid"?,
/// "replyto"?, "headers": {...}, "data" | "data_base64"}</c>: a compact JSON body is embedded as JSON (so patterns
/// can reach into it), any other body as a base64 string, so that every body is carried byte for byte.</para>
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
            ["topic"] = topic,
            ["id"] = message.Id,
            ["time"] = message.Timestamp.ToString("O", CultureInfo.InvariantCulture),
        };
        Optional(detail, "datacontenttype", message.ContentType);
        Optional(detail, "key", message.Key);
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

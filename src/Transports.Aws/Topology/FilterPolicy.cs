using System.Text.Json.Nodes;
using Messaging.Adapters.Aws.Envelopes;

namespace Messaging.Adapters.Aws.Topology;

/// <summary>
/// A subscription filter as an SNS filter policy on message attributes: the message type on <c>ce-type</c>, each
/// header on the attribute of its name (see <see cref="SqsEnvelope"/>).
/// </summary>
/// <remarks>
/// A header travels in <see cref="SqsEnvelope.PackedAttribute"/> instead of its own attribute when a message has more
/// than SQS's 10 attributes' worth; SNS cannot look inside that, so a policy on headers also lets through every message
/// that carries the pack, and the consumer applies the filter to those itself (the engine's consumer-side filter).
/// </remarks>
internal static class FilterPolicy
{
    /// <summary>The policy's JSON, or <see langword="null"/> when the filter keeps everything.</summary>
    public static string? For(SubscriptionFilter? filter)
    {
        if (filter is null || (filter.MessageTypes.Count == 0 && filter.Headers.Count == 0))
        {
            return null;
        }

        var policy = new JsonObject();
        if (filter.MessageTypes.Count > 0)
        {
            policy[SqsEnvelope.Type] = new JsonArray([.. filter.MessageTypes.Order(StringComparer.Ordinal).Select(t => JsonValue.Create(t))]);
        }

        if (filter.Headers.Count == 0)
        {
            return policy.ToJsonString();
        }

        var headers = new JsonObject();
        foreach (var (name, value) in filter.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            headers[name] = new JsonArray(JsonValue.Create(value));
        }

        var packed = new JsonObject { [SqsEnvelope.PackedAttribute] = new JsonArray(new JsonObject { ["exists"] = true }) };
        policy["$or"] = new JsonArray(headers, packed);
        return policy.ToJsonString();
    }
}

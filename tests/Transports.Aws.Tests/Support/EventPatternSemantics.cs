using System.Text.Json.Nodes;

namespace Messaging.Adapters.Aws.Tests.Support;

/// <summary>
/// EventBridge's documented event-pattern matching, for the parts of patterns the adapter builds (no emulator exists):
/// every field of the pattern must match (AND); a field's value is a list of allowed values, one of which the event's
/// value must equal exactly (OR; case-sensitive, by JSON value); an event field that is an array matches when any of its
/// elements does; a nested object in the pattern matches the event's object at that key, recursively; a field the
/// event lacks never matches. (AWS EventBridge User Guide, "Event patterns" and "Matching on values".)
/// </summary>
internal static class EventPatternSemantics
{
    public static bool Matches(JsonObject pattern, JsonObject @event)
    {
        foreach (var (name, expected) in pattern)
        {
            if (!@event.TryGetPropertyValue(name, out var actual) || actual is null)
            {
                return false;
            }

            switch (expected)
            {
                case JsonObject nested:
                    if (actual is not JsonObject actualObject || !Matches(nested, actualObject))
                    {
                        return false;
                    }

                    break;
                case JsonArray allowed:
                    var values = actual is JsonArray many ? many.ToList() : [actual];
                    if (!values.Any(v => v is JsonValue && allowed.Any(a => JsonNode.DeepEquals(a, v))))
                    {
                        return false;
                    }

                    break;
                default:
                    throw new ArgumentException($"A pattern field's value must be an array or an object; '{name}' is {expected?.ToJsonString()}.");
            }
        }

        return true;
    }
}

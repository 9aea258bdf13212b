using Messaging.Adapters.RabbitMq.Publishing;

namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// Translates a <see cref="SubscriptionFilter"/> into the bindings of a subscription's queue to its topic's headers
/// exchange.
/// </summary>
internal static class BindingFilter
{
    /// <summary>The binding arguments of a filter: one <c>x-match: all</c> binding per message type (or one without
    /// a type), with the filter's headers; no filter binds with no arguments, which matches every message. Header
    /// names starting with <c>x-</c> are left out because RabbitMQ's headers exchange ignores them; the consumer
    /// checks those.</summary>
    /// <param name="filter">The filter, or <see langword="null"/> for none.</param>
    /// <param name="onBroker">Whether the broker applies the filter (<see cref="RabbitMqTransportOptions.FilterOnBroker"/>);
    /// otherwise the one binding matches every message and the consumer filters.</param>
    /// <returns>One argument set per binding.</returns>
    public static IEnumerable<Dictionary<string, object?>> Arguments(SubscriptionFilter? filter, bool onBroker = true)
    {
        if (filter is null || !onBroker || (filter.MessageTypes.Count == 0 && filter.Headers.Count == 0))
        {
            yield return [];
            yield break;
        }

        var types = filter.MessageTypes.Count == 0 ? new string?[] { null } : filter.MessageTypes.Distinct(StringComparer.Ordinal).ToArray<string?>();
        foreach (var type in types)
        {
            var arguments = new Dictionary<string, object?>(StringComparer.Ordinal) { ["x-match"] = "all" };
            if (type is not null)
            {
                arguments[AmqpEnvelope.TypeHeader] = type;
            }

            foreach (var (name, value) in filter.Headers)
            {
                if (!name.StartsWith("x-", StringComparison.Ordinal))
                {
                    arguments[name] = value;
                }
            }

            yield return arguments;
        }
    }

    /// <summary>A key equal for equal argument sets whatever their order, to compare wanted and made bindings.</summary>
    /// <param name="arguments">A binding's arguments.</param>
    /// <returns>The key.</returns>
    public static string Key(Dictionary<string, object?> arguments) =>
        string.Join("\u0001", arguments.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "\u0002" + a.Value));
}

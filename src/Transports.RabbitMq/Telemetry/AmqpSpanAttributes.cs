using System.Diagnostics;

namespace Messaging.Adapters.RabbitMq.Telemetry;

/// <summary>
/// RabbitMQ's own attributes of the messaging semantic conventions, for the library's spans: the routing key a message
/// was published with and, on the consumer side, its delivery tag.
/// </summary>
internal static class AmqpSpanAttributes
{
    public const string RoutingKey = "messaging.rabbitmq.destination.routing_key";
    public const string DeliveryTag = "messaging.rabbitmq.message.delivery_tag";

    /// <summary>Adds the routing key, which the conventions want only when it is not empty (a topic's fanout exchange
    /// routes by none).</summary>
    public static void AddRoutingKey(Activity span, string? routingKey)
    {
        if (!string.IsNullOrEmpty(routingKey))
        {
            span.SetTag(RoutingKey, routingKey);
        }
    }

    /// <summary>Adds what a consumer span of one AMQP delivery carries.</summary>
    public static void AddDelivery(Activity span, string? routingKey, ulong deliveryTag)
    {
        AddRoutingKey(span, routingKey);

        // The conventions type the tag as an int; a channel's tags count up from 1 and stay far below long's range.
        span.SetTag(DeliveryTag, (long)deliveryTag);
    }
}

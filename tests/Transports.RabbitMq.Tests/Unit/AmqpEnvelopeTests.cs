using System.Text;
using Messaging.Adapters.RabbitMq.Publishing;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Tests.Unit;

/// <summary>The envelope's mapping onto AMQP properties and the CloudEvents AMQP binding, without a broker.</summary>
public sealed class AmqpEnvelopeTests
{
    [Fact]
    public void Every_field_maps_to_its_AMQP_property_or_CloudEvents_attribute()
    {
        var envelope = new Envelope("order.placed", new byte[] { 1, 2, 3 })
        {
            ContentType = "application/json",
            Key = "customer-42",
            CorrelationId = "correlation",
            CausationId = "causation",
            ReplyTo = "replies",
            Timestamp = new DateTimeOffset(2021, 3, 4, 5, 6, 7, 891, TimeSpan.FromHours(2)),
        }.WithHeader("ключ", "値 ✓");

        var properties = AmqpEnvelope.ToProperties(envelope, "/tests");

        Assert.Equal(envelope.Id, properties.MessageId);
        Assert.Equal("order.placed", properties.Type);
        Assert.Equal("application/json", properties.ContentType);
        Assert.Equal("correlation", properties.CorrelationId);
        Assert.Equal("replies", properties.ReplyTo);
        Assert.Equal(envelope.Timestamp.ToUnixTimeSeconds(), properties.Timestamp.UnixTime);
        Assert.Equal(DeliveryModes.Persistent, properties.DeliveryMode);
        var headers = properties.Headers!;
        Assert.Equal("1.0", headers["cloudEvents:specversion"]);
        Assert.Equal(envelope.Id, headers["cloudEvents:id"]);
        Assert.Equal("order.placed", headers["cloudEvents:type"]);
        Assert.Equal("/tests", headers["cloudEvents:source"]);
        Assert.Equal("customer-42", headers["cloudEvents:partitionkey"]);
        Assert.Equal("causation", headers["cloudEvents:causationid"]);
        Assert.Equal("値 ✓", headers["ключ"]);
    }

    [Fact]
    public void A_delivery_reads_back_as_the_envelope_that_was_sent()
    {
        var sent = new Envelope("order.placed", Enumerable.Range(0, 256).Select(i => (byte)i).ToArray())
        {
            ContentType = "application/octet-stream",
            Key = "k/ключ",
            CorrelationId = "c",
            CausationId = "d",
            ReplyTo = "r",
            Timestamp = new DateTimeOffset(2021, 3, 4, 5, 6, 7, 891, TimeSpan.FromHours(2)),
        }.WithHeaders(new Dictionary<string, string> { ["x-plain"] = "plain", ["ключ"] = "値", ["empty"] = "" });

        var received = AmqpEnvelope.FromDelivery(OnTheWire(AmqpEnvelope.ToProperties(sent, "/tests")), sent.Body);

        Assert.Equal(sent.Id, received.Id);
        Assert.Equal(sent.Type, received.Type);
        Assert.Equal(sent.ContentType, received.ContentType);
        Assert.Equal(sent.Key, received.Key);
        Assert.Equal(sent.CorrelationId, received.CorrelationId);
        Assert.Equal(sent.CausationId, received.CausationId);
        Assert.Equal(sent.ReplyTo, received.ReplyTo);
        Assert.Equal(sent.Timestamp, received.Timestamp);
        Assert.Equal(sent.Headers.OrderBy(h => h.Key, StringComparer.Ordinal), received.Headers.Where(h => h.Key != CloudEventHeaders.Source).OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Equal("/tests", received.Headers[CloudEventHeaders.Source]);
        Assert.True(sent.Body.Span.SequenceEqual(received.Body.Span));
    }

    [Fact]
    public void Headers_the_broker_and_the_client_add_are_not_envelope_headers()
    {
        var properties = OnTheWire(AmqpEnvelope.ToProperties(new Envelope("t", default), "/tests"));
        properties.Headers!["x-death"] = new List<object?> { new Dictionary<string, object?>() };
        properties.Headers["x-first-death-reason"] = Encoding.UTF8.GetBytes("rejected");
        properties.Headers["x-last-death-queue"] = Encoding.UTF8.GetBytes("q");
        properties.Headers["x-delivery-count"] = 3L;
        properties.Headers["x-stream-offset"] = 12L;
        properties.Headers["x-dotnet-pub-seq-no"] = 5L;
        properties.Headers[AmqpEnvelope.AppendedAtHeader] = 1234L;

        var received = AmqpEnvelope.FromDelivery(properties, default);

        Assert.Equal([CloudEventHeaders.Source], received.Headers.Keys);
        Assert.Equal(12L, AmqpEnvelope.ReadLong(properties, "x-stream-offset"));
    }

    [Fact]
    public void A_message_from_another_publisher_without_our_attributes_still_reads()
    {
        var properties = new BasicProperties { Timestamp = new AmqpTimestamp(1_600_000_000) };

        var received = AmqpEnvelope.FromDelivery(properties, new byte[] { 9 });

        Assert.False(string.IsNullOrEmpty(received.Id));
        Assert.Equal("amqp.message", received.Type);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_600_000_000), received.Timestamp);
    }

    [Fact]
    public void The_CloudEvents_type_and_id_win_over_the_AMQP_properties_and_the_AMQP_type_serves_without_them()
    {
        var both = new BasicProperties
        {
            MessageId = "amqp-id",
            Type = "amqp.type",
            Headers = new Dictionary<string, object?> { ["cloudEvents:id"] = "ce-id"u8.ToArray(), ["cloudEvents_type"] = "ce.type"u8.ToArray() },
        };
        var nativeOnly = new BasicProperties { MessageId = "amqp-id", Type = "amqp.type" };

        var fromBoth = AmqpEnvelope.FromDelivery(both, default);
        var fromNative = AmqpEnvelope.FromDelivery(nativeOnly, default);

        Assert.Equal(("ce-id", "ce.type"), (fromBoth.Id, fromBoth.Type));
        Assert.Equal(("amqp-id", "amqp.type"), (fromNative.Id, fromNative.Type));
    }

    /// <summary>What a consumer sees: string header values arrive as UTF-8 bytes (AMQP longstr).</summary>
    private static BasicProperties OnTheWire(BasicProperties sent)
    {
        var received = new BasicProperties(sent)
        {
            Headers = sent.Headers!.ToDictionary(h => h.Key, h => h.Value is string text ? Encoding.UTF8.GetBytes(text) : h.Value),
        };
        return received;
    }
}

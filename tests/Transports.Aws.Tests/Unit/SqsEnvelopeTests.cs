using System.Text;
using Amazon.SQS.Model;
using Messaging.Adapters.Aws.Envelopes;

namespace Messaging.Adapters.Aws.Tests.Unit;

/// <summary>
/// The envelope within SQS's 10 message attributes: CloudEvents attributes always of their own, headers as attributes
/// while they fit and packed beyond, any body byte for byte, and a foreign message still readable.
/// </summary>
public sealed class SqsEnvelopeTests
{
    [Fact]
    public void Every_field_round_trips_and_the_CloudEvents_attributes_travel_on_their_own()
    {
        var sent = new Envelope("order.placed", Encoding.UTF8.GetBytes("{\"id\":1}"))
        {
            ContentType = "application/json",
            Key = "order-1",
            CorrelationId = "c-1",
            CausationId = "k-1",
            ReplyTo = "replies",
            Headers = new Dictionary<string, string> { ["region"] = "eu" },
        };

        var wire = SqsEnvelope.ToWire(sent, "/test");
        var names = wire.Attributes.Select(a => a.Key).ToList();

        Assert.Equal("{\"id\":1}", wire.Body);
        Assert.Subset(names.ToHashSet(), new HashSet<string> { "ce-specversion", "ce-id", "ce-type", "ce-source", "ce-time", "ce-datacontenttype", "ce-partitionkey", "region" });
        Assert.True(wire.Attributes.Count <= SqsEnvelope.MaxAttributes);
        AssertSame(sent, SqsEnvelope.FromSqs(Received(wire)));
    }

    [Fact]
    public void More_headers_than_attributes_are_packed_and_nothing_is_lost()
    {
        var headers = Enumerable.Range(0, 25).ToDictionary(i => $"h{i:D2}", i => $"value {i}");
        headers[EnvelopeHeaders.DeadLetterReason] = "a reserved header travels too";
        headers["with space"] = "not an attribute name";
        headers["empty"] = "";
        var sent = new Envelope("t", new byte[] { 1, 2, 3 }) { Key = "k", CorrelationId = "c", Headers = headers };

        var wire = SqsEnvelope.ToWire(sent, "/test");

        Assert.Equal(SqsEnvelope.MaxAttributes, wire.Attributes.Count);
        Assert.Contains(wire.Attributes, a => a.Key == SqsEnvelope.PackedAttribute);
        Assert.Contains(wire.Attributes, a => a.Key == "ce-id");
        Assert.Contains(wire.Attributes, a => a.Key == "h00");
        AssertSame(sent, SqsEnvelope.FromSqs(Received(wire)));
    }

    [Fact]
    public void Fields_with_text_SQS_refuses_as_attribute_values_travel_packed_and_round_trip()
    {
        var sent = new Envelope("t", "b"u8.ToArray()) { Key = "key \U0001F600", CorrelationId = "c\u0001", ReplyTo = "r" };

        var wire = SqsEnvelope.ToWire(sent, "/test");

        Assert.DoesNotContain(wire.Attributes, a => a.Key is "ce-partitionkey" or "ce-correlationid");
        Assert.Contains(wire.Attributes, a => a.Key == SqsEnvelope.PackedAttribute);
        Assert.Contains(wire.Attributes, a => a.Key == "ce-replyto");
        AssertSame(sent, SqsEnvelope.FromSqs(Received(wire)));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x00, 0x01 })]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x41 })]
    [InlineData(new byte[] { 0x41, 0x00, 0x42 })]
    [InlineData(new byte[] { 0xF0, 0x9F, 0x98, 0x80 })]
    public void A_body_that_is_not_plain_text_travels_base64_and_arrives_byte_for_byte(byte[] body)
    {
        var sent = new Envelope("t", body);

        var wire = SqsEnvelope.ToWire(sent, "/test");

        Assert.NotEmpty(wire.Body);
        Assert.Contains(wire.Attributes, a => a.Key == "ce-datacontentencoding" && a.Value == "base64");
        Assert.Equal(body, SqsEnvelope.FromSqs(Received(wire)).Body.ToArray());
    }

    [Fact]
    public void A_foreign_events_CloudEvents_attributes_go_back_out_as_attributes()
    {
        var received = new Envelope("t", "b"u8.ToArray()).WithHeaders([new(CloudEventHeaders.Source, "/other-app"), new(CloudEventHeaders.Subject, "order-1"), new("ce-tenantid", "acme")]);

        var wire = SqsEnvelope.ToWire(received, "/test");

        Assert.Contains(wire.Attributes, a => a.Key == "ce-source" && a.Value == "/other-app");
        Assert.Contains(wire.Attributes, a => a.Key == "ce-subject" && a.Value == "order-1");
        Assert.Contains(wire.Attributes, a => a.Key == "ce-tenantid" && a.Value == "acme");
        Assert.DoesNotContain(wire.Attributes, a => a.Key == SqsEnvelope.PackedAttribute);
        Assert.Equal(received.Headers.OrderBy(h => h.Key, StringComparer.Ordinal), SqsEnvelope.FromSqs(Received(wire)).Headers.OrderBy(h => h.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void A_foreign_message_is_delivered_with_its_id_attributes_and_body()
    {
        var message = new Message
        {
            MessageId = "5fea7756-0ea4-451a-a703-a558b933e274",
            Body = "plain text",
            MessageAttributes = new Dictionary<string, MessageAttributeValue>
            {
                ["tenant"] = new() { DataType = "String", StringValue = "acme" },
                ["count"] = new() { DataType = "Number", StringValue = "42" },
            },
            Attributes = new Dictionary<string, string> { ["SentTimestamp"] = "1764460800000" },
        };

        var envelope = SqsEnvelope.FromSqs(message);

        Assert.Equal(message.MessageId, envelope.Id);
        Assert.Equal(SqsEnvelope.ForeignType, envelope.Type);
        Assert.Equal("plain text", Encoding.UTF8.GetString(envelope.Body.Span));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1764460800000), envelope.Timestamp);
        Assert.Equal(new Dictionary<string, string> { ["tenant"] = "acme", ["count"] = "42" }, envelope.Headers);
    }

    [Fact]
    public void On_a_FIFO_queue_a_keyless_message_arrives_keyless_and_a_foreign_messages_group_is_its_key()
    {
        // The sender gives a keyless message its own id as message group (every FIFO message needs one).
        var keyless = new Envelope("fifo.keyless", "{}"u8.ToArray());
        var ours = Received(SqsEnvelope.ToWire(keyless, "/test"));
        ours.Attributes["MessageGroupId"] = keyless.Id;
        var foreign = new Message
        {
            MessageId = Guid.NewGuid().ToString(),
            Body = "plain",
            Attributes = new Dictionary<string, string> { ["MessageGroupId"] = "customer-7" },
        };

        Assert.Null(SqsEnvelope.FromSqs(ours).Key);
        Assert.Equal("customer-7", SqsEnvelope.FromSqs(foreign).Key);
    }

    [Fact]
    public void The_size_counts_body_and_attributes_as_SQS_does()
    {
        var wire = SqsEnvelope.ToWire(new Envelope("t", Encoding.UTF8.GetBytes("héllo")) { Id = "i" }, "/s");

        var expected = Encoding.UTF8.GetByteCount("héllo") + wire.Attributes.Sum(a => Encoding.UTF8.GetByteCount(a.Key) + "String".Length + Encoding.UTF8.GetByteCount(a.Value));
        Assert.Equal(expected, wire.Size);
    }

    private static Message Received(WireMessage wire) => new()
    {
        MessageId = Guid.NewGuid().ToString(),
        Body = wire.Body,
        MessageAttributes = wire.SqsAttributes(),
        Attributes = new Dictionary<string, string> { ["ApproximateReceiveCount"] = "1" },
    };

    private static void AssertSame(Envelope sent, Envelope received)
    {
        Assert.Equal(sent.Id, received.Id);
        Assert.Equal(sent.Type, received.Type);
        Assert.Equal(sent.Body.ToArray(), received.Body.ToArray());
        Assert.Equal(sent.ContentType, received.ContentType);
        Assert.Equal(sent.Key, received.Key);
        Assert.Equal(sent.CorrelationId, received.CorrelationId);
        Assert.Equal(sent.CausationId, received.CausationId);
        Assert.Equal(sent.ReplyTo, received.ReplyTo);
        Assert.Equal(sent.Timestamp, received.Timestamp);

        // The CloudEvents source comes back as the ce-source header every transport reads it into (IncomingEnvelope).
        Assert.Equal("/test", received.Headers[CloudEventHeaders.Source]);
        Assert.Equal(sent.Headers.OrderBy(h => h.Key, StringComparer.Ordinal), received.Headers.Where(h => h.Key != CloudEventHeaders.Source).OrderBy(h => h.Key, StringComparer.Ordinal));
    }
}

using System.Text;
using Confluent.Kafka;
using Messaging.Adapters.Kafka.Publishing;

namespace Messaging.Adapters.Kafka.Tests.Unit;

public sealed class KafkaEnvelopeTests
{
    [Fact]
    public void An_envelope_travels_on_the_CloudEvents_Kafka_binding_in_binary_mode()
    {
        var envelope = new Envelope("order.placed", "{}"u8.ToArray())
        {
            Id = "id-1",
            ContentType = "application/json",
            Key = "customer-7",
            CorrelationId = "corr",
            CausationId = "cause",
            ReplyTo = "replies",
            Timestamp = new DateTimeOffset(2026, 11, 30, 12, 0, 0, 123, TimeSpan.Zero),
        }.WithHeader("tenant", "acme");

        var message = KafkaEnvelope.ToMessage(envelope, "/shop");

        Assert.Equal("customer-7", message.Key);
        Assert.Equal("{}"u8.ToArray(), message.Value);
        var headers = message.Headers.ToDictionary(h => h.Key, h => Encoding.UTF8.GetString(h.GetValueBytes()));
        Assert.Equal("1.0", headers["ce_specversion"]);
        Assert.Equal("id-1", headers["ce_id"]);
        Assert.Equal("/shop", headers["ce_source"]);
        Assert.Equal("order.placed", headers["ce_type"]);
        Assert.Equal("2026-11-30T12:00:00.1230000+00:00", headers["ce_time"]);
        Assert.Equal("application/json", headers["content-type"]);
        Assert.Equal("corr", headers["ce_correlationid"]);
        Assert.Equal("cause", headers["ce_causationid"]);
        Assert.Equal("replies", headers["ce_replyto"]);
        Assert.Equal("acme", headers["tenant"]);
    }

    [Fact]
    public void Every_field_reads_back_unchanged_including_headers_that_look_like_CloudEvents_attributes()
    {
        var envelope = new Envelope("t", new byte[] { 0, 255, 7 }) { Key = "k", ContentType = "application/octet-stream", CorrelationId = "c" }
            .WithHeaders([new("ce_custom", "x"), new("content-type", "y"), new("unicode", "naïve ✓ 😀")]);

        var read = KafkaEnvelope.FromMessage(Consumed(KafkaEnvelope.ToMessage(envelope, "/s"), offset: 3));

        Assert.Equal(envelope.Id, read.Id);
        Assert.Equal(envelope.Type, read.Type);
        Assert.Equal(envelope.Body.ToArray(), read.Body.ToArray());
        Assert.Equal(envelope.ContentType, read.ContentType);
        Assert.Equal(envelope.Key, read.Key);
        Assert.Equal(envelope.CorrelationId, read.CorrelationId);
        Assert.Equal(envelope.Timestamp, read.Timestamp);
        // Every header comes back; the source attribute is added as ce-source (CloudEventHeaders).
        Assert.Equal(envelope.Headers.OrderBy(h => h.Key), read.Headers.Where(h => h.Key != CloudEventHeaders.Source).OrderBy(h => h.Key));
        Assert.Equal("/s", read.Headers[CloudEventHeaders.Source]);
    }

    [Fact]
    public void A_foreign_message_without_CloudEvents_headers_gets_an_id_from_its_position_stable_across_redeliveries()
    {
        var foreign = new Message<string?, byte[]> { Key = null, Value = "hello"u8.ToArray(), Headers = [new Header("trace", "abc"u8.ToArray())] };

        var first = KafkaEnvelope.FromMessage(Consumed(foreign, offset: 41));
        var again = KafkaEnvelope.FromMessage(Consumed(foreign, offset: 41));

        Assert.Equal("kafka:orders/2/41", first.Id);
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(KafkaEnvelope.ForeignType, first.Type);
        Assert.Equal("abc", first.Headers["trace"]);
        Assert.Null(first.Key);
    }

    [Fact]
    public void A_CloudEvents_producer_is_read_with_its_attributes_and_its_extensions_as_ce_headers()
    {
        var headers = new Headers
        {
            { "ce_specversion", "1.0"u8.ToArray() },
            { "ce_id", "ext-1"u8.ToArray() },
            { "ce_type", "com.example.thing"u8.ToArray() },
            { "ce_source", "/elsewhere"u8.ToArray() },
            { "ce_partitionkey", "pk"u8.ToArray() },
            { "ce_traceparent", "00-abc"u8.ToArray() },
            { "content-type", "text/plain"u8.ToArray() },
        };

        var read = KafkaEnvelope.FromMessage(Consumed(new Message<string?, byte[]> { Value = "x"u8.ToArray(), Headers = headers }, offset: 0));

        Assert.Equal("ext-1", read.Id);
        Assert.Equal("com.example.thing", read.Type);
        Assert.Equal("pk", read.Key);
        Assert.Equal("text/plain", read.ContentType);
        Assert.Equal("00-abc", read.Headers["ce-traceparent"]);
        Assert.Equal("/elsewhere", read.Headers[CloudEventHeaders.Source]);
    }

    private static ConsumeResult<string?, byte[]> Consumed(Message<string?, byte[]> message, long offset) => new()
    {
        Message = message,
        TopicPartitionOffset = new TopicPartitionOffset("orders", 2, offset),
    };
}

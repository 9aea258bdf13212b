using System.Text;
using System.Text.Json;

namespace Messaging.Adapters.Tests.Serialization;

public sealed class SerializationTests
{
    private static readonly OrderPlaced Order = new("o-42", 19.99m, ["book", "pen"], new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)));

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public void The_reflection_serializer_round_trips_a_message_as_camel_case_json()
    {
        var codec = new MessageCodec();

        var envelope = codec.Encode(Order);
        var decoded = codec.Decode<OrderPlaced>(envelope);

        Assert.Equal("order.placed", envelope.Type);
        Assert.Equal("application/json", envelope.ContentType);
        using var json = JsonDocument.Parse(envelope.Body);
        Assert.Equal("o-42", json.RootElement.GetProperty("orderId").GetString());
        Assert.Equal(Order.OrderId, decoded.OrderId);
        Assert.Equal(Order.Amount, decoded.Amount);
        Assert.Equal(Order.Lines, decoded.Lines);
        Assert.Equal(Order.PlacedAt, decoded.PlacedAt);
        Assert.Equal(Order.PlacedAt.Offset, decoded.PlacedAt.Offset);
    }

    [Fact]
    public void The_source_generated_serializer_round_trips_with_the_contexts_own_options()
    {
        var codec = new MessageCodec(new SystemTextJsonMessageSerializer(TestMessagesJsonContext.Default));
        var shipment = new ShipmentSent("s-1", 3);

        var envelope = codec.Encode(shipment);

        Assert.Equal("shipment.sent", envelope.Type);
        Assert.Equal("""{"shipment_id":"s-1","parcel_count":3}""", Encoding.UTF8.GetString(envelope.Body.Span));
        Assert.Equal(shipment, codec.Decode<ShipmentSent>(envelope));
    }

    [Fact]
    public void The_source_generated_serializer_does_not_fall_back_to_reflection()
    {
        var serializer = new SystemTextJsonMessageSerializer(TestMessagesJsonContext.Default);

        // InvoiceIssued is not in the context: without reflection there is no contract for it.
        Assert.ThrowsAny<Exception>(() => serializer.Serialize(new InvoiceIssued("i-1", 5), typeof(InvoiceIssued)));
    }

    [Fact]
    public void The_serializer_reads_null_as_null()
    {
        Assert.Null(new SystemTextJsonMessageSerializer().Deserialize("null"u8, typeof(InvoiceIssued)));
    }

    [Fact]
    public void The_type_map_uses_the_MessageType_attribute()
    {
        var map = new MessageTypeMap();

        Assert.Equal("order.placed", map.GetName(typeof(OrderPlaced)));
        Assert.Equal(typeof(OrderPlaced), map.FindType("order.placed"));
    }

    [Fact]
    public void The_type_map_falls_back_to_the_full_CLR_name()
    {
        var map = new MessageTypeMap();

        Assert.Equal("Messaging.Adapters.Tests.InvoiceIssued", map.GetName(typeof(InvoiceIssued)));
        Assert.Equal(typeof(InvoiceIssued), map.FindType("Messaging.Adapters.Tests.InvoiceIssued"));
    }

    [Fact]
    public void An_explicit_Map_wins_over_the_attribute()
    {
        var map = new MessageTypeMap().Map<OrderPlaced>("sales.order-placed.v2");

        Assert.Equal("sales.order-placed.v2", map.GetName(typeof(OrderPlaced)));
        Assert.Equal(typeof(OrderPlaced), map.FindType("sales.order-placed.v2"));
        Assert.Null(map.FindType("order.placed"));
    }

    [Fact]
    public void Mapping_the_same_class_to_the_same_name_twice_is_harmless()
    {
        var map = new MessageTypeMap().Map<InvoiceIssued>("invoice.issued").Map<InvoiceIssued>("invoice.issued");

        Assert.Equal("invoice.issued", map.GetName(typeof(InvoiceIssued)));
    }

    [Fact]
    public void Mapping_a_taken_name_to_another_class_throws_naming_both_classes()
    {
        var map = new MessageTypeMap().Map<InvoiceIssued>("billing.document");

        var ex = Assert.Throws<ArgumentException>(() => map.Map<ShipmentSent>("billing.document"));

        Assert.Equal("name", ex.ParamName);
        Assert.Contains("'billing.document'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(InvoiceIssued).FullName!, ex.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(ShipmentSent).FullName!, ex.Message, StringComparison.Ordinal);
        Assert.Equal("billing.document", map.GetName(typeof(InvoiceIssued)));
        Assert.Equal(typeof(InvoiceIssued), map.FindType("billing.document"));
    }

    [Fact]
    public void Two_classes_with_the_same_attribute_name_conflict_in_one_map()
    {
        var map = new MessageTypeMap();
        map.GetName(typeof(OrderPlaced));

        var ex = Assert.Throws<ArgumentException>(() => map.GetName(typeof(OrderPlacedImpostor)));

        Assert.Contains(typeof(OrderPlaced).FullName!, ex.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(OrderPlacedImpostor).FullName!, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_name_has_no_type()
    {
        Assert.Null(new MessageTypeMap().FindType("nobody.knows"));
    }

    [Fact]
    public void Decoding_another_type_is_a_deserialization_error_naming_the_message_and_both_types()
    {
        var codec = new MessageCodec();
        var envelope = codec.Encode(new InvoiceIssued("i-1", 100));

        var ex = Assert.Throws<MessageDeserializationException>(() => codec.Decode<OrderPlaced>(envelope));

        Assert.Equal(envelope.Id, ex.MessageId);
        Assert.Equal("Messaging.Adapters.Tests.InvoiceIssued", ex.MessageType);
        Assert.Contains(envelope.Id, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'Messaging.Adapters.Tests.InvoiceIssued'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'order.placed'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"orderId\": ")]
    [InlineData("not json at all")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"amount\":\"nineteen\"}")]
    [InlineData("")]
    public void Decoding_a_body_that_is_not_valid_json_for_the_type_is_a_deserialization_error(string body)
    {
        var codec = new MessageCodec();
        var envelope = new Envelope("order.placed", Encoding.UTF8.GetBytes(body));

        var ex = Assert.Throws<MessageDeserializationException>(() => codec.Decode<OrderPlaced>(envelope));

        Assert.Equal(envelope.Id, ex.MessageId);
        Assert.Equal("order.placed", ex.MessageType);
        Assert.Contains(envelope.Id, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'order.placed'", ex.Message, StringComparison.Ordinal);
        Assert.IsType<JsonException>(ex.InnerException, exactMatch: false);
    }

    [Fact]
    public void Decoding_a_null_body_is_a_deserialization_error()
    {
        var codec = new MessageCodec();
        var envelope = new Envelope("order.placed", "null"u8.ToArray());

        var ex = Assert.Throws<MessageDeserializationException>(() => codec.Decode<OrderPlaced>(envelope));

        Assert.Equal(envelope.Id, ex.MessageId);
        Assert.Contains(envelope.Id, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'order.placed'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("null", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_typed_handler_gets_the_decoded_message_and_the_delivery()
    {
        var codec = new MessageCodec();
        var delivery = new ReceivedMessage(codec.Encode(Order), "orders");
        (OrderPlaced Message, ReceivedMessage Delivery)? seen = null;
        var handler = codec.Handler<OrderPlaced>((message, received, _) => { seen = (message, received); return ValueTask.CompletedTask; });

        await handler(delivery, TestToken);

        Assert.NotNull(seen);
        Assert.Equal(Order.OrderId, seen.Value.Message.OrderId);
        Assert.Same(delivery, seen.Value.Delivery);
    }

    [Fact]
    public async Task A_typed_handler_turns_a_poison_message_into_a_dead_letter_without_retries()
    {
        var codec = new MessageCodec();
        var typedCalls = 0;
        var pipeline = new HandlerPipeline(
            codec.Handler<OrderPlaced>((_, _, _) => { typedCalls++; return ValueTask.CompletedTask; }),
            RetryPolicy.Default);
        var poison = new Envelope("order.placed", "{ this is not json"u8.ToArray());

        var result = await pipeline.HandleAsync(new ReceivedMessage(poison, "orders"), TestToken);

        Assert.Equal(0, typedCalls);
        Assert.Equal(HandlingOutcome.DeadLetter, result.Outcome);
        Assert.Equal(1, result.Attempts);
        Assert.StartsWith("Poison message: ", result.Message!.Headers[EnvelopeHeaders.DeadLetterReason], StringComparison.Ordinal);
        Assert.Contains(poison.Id, result.Message.Headers[EnvelopeHeaders.DeadLetterReason], StringComparison.Ordinal);
        Assert.Equal(typeof(MessageDeserializationException).FullName, result.Message.Headers[EnvelopeHeaders.DeadLetterExceptionType]);
        Assert.True(result.Message.Body.Span.SequenceEqual(poison.Body.Span));
    }

    [Fact]
    public async Task The_typed_send_extension_encodes_with_the_codec_and_sets_the_key()
    {
        var codec = new MessageCodec();
        var queue = new TestDoubles.RecordingQueue();

        var sent = await queue.SendAsync("orders", Order, codec, key: "customer-7", cancellationToken: TestToken);

        var (to, message, _) = Assert.Single(queue.Sent);
        Assert.Equal("orders", to);
        Assert.Same(sent, message);
        Assert.Equal("customer-7", message.Key);
        Assert.Equal("order.placed", message.Type);
        Assert.Equal(Order.OrderId, codec.Decode<OrderPlaced>(message).OrderId);
    }
}

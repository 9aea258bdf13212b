namespace Messaging.Adapters.Tests.Envelopes;

public sealed class EnvelopeTests
{
    [Fact]
    public void A_new_envelope_gets_a_32_hex_digit_version_7_guid_as_its_id()
    {
        var envelope = new Envelope("order.placed", ReadOnlyMemory<byte>.Empty);

        Assert.Matches("^[0-9a-f]{32}$", envelope.Id);
        Assert.Equal(7, Guid.ParseExact(envelope.Id, "N").Version);
    }

    [Fact]
    public void Every_new_envelope_gets_its_own_id()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => new Envelope("t", ReadOnlyMemory<byte>.Empty).Id).ToHashSet();

        Assert.Equal(1000, ids.Count);
    }

    [Fact]
    public void A_new_envelope_is_stamped_with_the_current_utc_time_and_has_no_optional_metadata()
    {
        var before = DateTimeOffset.UtcNow;
        var body = new byte[] { 1, 2, 3 };

        var envelope = new Envelope("order.placed", body);

        var after = DateTimeOffset.UtcNow;
        Assert.InRange(envelope.Timestamp, before, after);
        Assert.Equal(TimeSpan.Zero, envelope.Timestamp.Offset);
        Assert.Equal("order.placed", envelope.Type);
        Assert.True(envelope.Body.Span.SequenceEqual(body));
        Assert.Empty(envelope.Headers);
        Assert.Null(envelope.ContentType);
        Assert.Null(envelope.Key);
        Assert.Null(envelope.CorrelationId);
        Assert.Null(envelope.CausationId);
        Assert.Null(envelope.ReplyTo);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void An_empty_type_is_rejected(string? type)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Envelope(type!, ReadOnlyMemory<byte>.Empty));

        Assert.Equal("Type", ex.ParamName);
        Assert.Contains("Envelope.Type", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void An_empty_id_is_rejected(string? id)
    {
        var envelope = new Envelope("t", ReadOnlyMemory<byte>.Empty);

        var ex = Assert.Throws<ArgumentException>(() => envelope with { Id = id! });

        Assert.Equal("Id", ex.ParamName);
        Assert.Contains("Envelope.Id", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_id_is_kept_and_survives_copies()
    {
        var envelope = new Envelope("t", ReadOnlyMemory<byte>.Empty) { Id = "order-42" };

        Assert.Equal("order-42", envelope.Id);
        Assert.Equal("order-42", (envelope with { Key = "k" }).Id);
        Assert.Equal("order-42", envelope.WithHeader("a", "b").Id);
    }

    [Fact]
    public void Null_headers_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => new Envelope("t", ReadOnlyMemory<byte>.Empty) { Headers = null! });
    }

    [Fact]
    public void WithHeader_adds_a_header_to_a_copy_and_leaves_the_original_alone()
    {
        var original = new Envelope("t", "x"u8.ToArray()) { Key = "k", CorrelationId = "c" };

        var copy = original.WithHeader("tenant", "acme");

        Assert.Empty(original.Headers);
        Assert.Equal("acme", copy.Headers["tenant"]);
        Assert.Equal(original.Id, copy.Id);
        Assert.Equal(original.Key, copy.Key);
        Assert.Equal(original.CorrelationId, copy.CorrelationId);
        Assert.Equal(original.Timestamp, copy.Timestamp);
    }

    [Fact]
    public void WithHeader_replaces_a_value_only_in_the_copy()
    {
        var first = new Envelope("t", ReadOnlyMemory<byte>.Empty).WithHeader("tenant", "acme");

        var second = first.WithHeader("tenant", "globex");

        Assert.Equal("acme", first.Headers["tenant"]);
        Assert.Equal("globex", second.Headers["tenant"]);
        Assert.Single(second.Headers);
    }

    [Fact]
    public void WithHeader_keeps_header_names_case_sensitive()
    {
        var envelope = new Envelope("t", ReadOnlyMemory<byte>.Empty).WithHeader("Tenant", "a").WithHeader("tenant", "b");

        Assert.Equal(2, envelope.Headers.Count);
        Assert.Equal("a", envelope.Headers["Tenant"]);
        Assert.Equal("b", envelope.Headers["tenant"]);
    }

    [Fact]
    public void WithHeaders_merges_into_a_copy_and_leaves_the_original_alone()
    {
        var original = new Envelope("t", ReadOnlyMemory<byte>.Empty).WithHeaders([new("a", "1"), new("b", "2")]);

        var merged = original.WithHeaders([new("b", "20"), new("c", "30")]);

        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }, original.Headers.ToDictionary());
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "20", ["c"] = "30" }, merged.Headers.ToDictionary());
    }

    [Fact]
    public void WithHeader_rejects_an_empty_name_and_a_null_value()
    {
        var envelope = new Envelope("t", ReadOnlyMemory<byte>.Empty);

        Assert.Throws<ArgumentException>(() => envelope.WithHeader("", "v"));
        Assert.Throws<ArgumentNullException>(() => envelope.WithHeader("n", null!));
        Assert.Throws<ArgumentNullException>(() => envelope.WithHeaders(null!));
    }

    [Fact]
    public void Unicode_header_values_are_kept_as_given()
    {
        var envelope = new Envelope("t", ReadOnlyMemory<byte>.Empty).WithHeader("note", "Zoë 🚚 注文");

        Assert.Equal("Zoë 🚚 注文", envelope.Headers["note"]);
    }

    [Theory]
    [InlineData("messaging.attempt", true)]
    [InlineData("messaging.", true)]
    [InlineData("Messaging.attempt", false)]
    [InlineData("messaging", false)]
    [InlineData("tenant", false)]
    public void Only_names_with_the_messaging_prefix_are_reserved(string name, bool reserved)
    {
        Assert.Equal(reserved, EnvelopeHeaders.IsReserved(name));
    }
}

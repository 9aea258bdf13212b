namespace Messaging.Adapters.Tests.Capabilities;

public sealed class TransportCapabilitiesTests
{
    private static readonly TransportCapabilities Limited = new() { MaxMessageSize = 1024 };

    [Fact]
    public void A_body_exactly_at_the_limit_fits()
    {
        Limited.EnsureFits(new Envelope("t", new byte[1024]), "orders");
    }

    [Fact]
    public void An_empty_body_fits_even_a_zero_limit()
    {
        new TransportCapabilities { MaxMessageSize = 0 }.EnsureFits(new Envelope("t", ReadOnlyMemory<byte>.Empty), "orders");
    }

    [Fact]
    public void A_body_one_byte_over_the_limit_is_rejected_with_the_numbers_and_the_destination()
    {
        var message = new Envelope("t", new byte[1025]);

        var ex = Assert.Throws<MessageTooLargeException>(() => Limited.EnsureFits(message, "orders"));

        Assert.Equal(1024, ex.Limit);
        Assert.Equal(1025, ex.Actual);
        Assert.Equal("orders", ex.Destination);
        Assert.Equal(message.Id, ex.MessageId);
        Assert.Contains("1025 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1024 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'orders'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(message.Id, ex.Message, StringComparison.Ordinal);
        Assert.IsType<MessagingException>(ex, exactMatch: false);
    }

    [Fact]
    public void Only_the_body_counts_toward_the_limit()
    {
        var message = new Envelope("a-long-type-name", new byte[1024]).WithHeader("h", new string('x', 4096));

        Limited.EnsureFits(message, "orders");
    }

    [Fact]
    public void EnsureFits_rejects_a_null_message()
    {
        Assert.Throws<ArgumentNullException>(() => Limited.EnsureFits(null!, "orders"));
    }

    [Fact]
    public async Task Every_member_of_an_unsupported_stream_names_the_capability_and_the_transport()
    {
        var stream = new UnsupportedStream("Aws");
        var ct = TestContext.Current.CancellationToken;

        var append = await Assert.ThrowsAsync<CapabilityNotSupportedException>(async () => await stream.AppendAsync("s", new Envelope("t", ReadOnlyMemory<byte>.Empty), ct));
        var batch = await Assert.ThrowsAsync<CapabilityNotSupportedException>(async () => await stream.AppendBatchAsync("s", [], ct));
        var read = await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => stream.ReadAsync("s", "g", (_, _) => ValueTask.CompletedTask, cancellationToken: ct));

        Assert.All([append, batch, read], ex =>
        {
            Assert.Equal(nameof(TransportCapabilities.Streams), ex.Capability);
            Assert.Equal("Aws", ex.Transport);
            Assert.Contains("TransportCapabilities.Streams", ex.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_batch_is_rejected_whole_naming_the_oversized_message_or_the_index_of_a_null_one()
    {
        var capabilities = new TransportCapabilities { MaxMessageSize = 4 };
        var fits = new Envelope("t", new byte[4]);
        var tooLarge = new Envelope("t", new byte[5]);

        capabilities.EnsureBatchFits([fits, fits], "orders");
        var oversized = Assert.Throws<MessageTooLargeException>(() => capabilities.EnsureBatchFits([fits, tooLarge], "orders"));
        Assert.Equal(tooLarge.Id, oversized.MessageId);
        Assert.Equal("orders", oversized.Destination);
        var nullMessage = Assert.Throws<ArgumentException>(() => capabilities.EnsureBatchFits([fits, null!], "orders"));
        Assert.Contains("index 1", nullMessage.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => capabilities.EnsureBatchFits(null!, "orders"));
    }
}

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

    [Fact]
    public void A_batch_of_exactly_MaxBatchEntries_fits_and_one_more_is_refused_naming_the_limit_the_count_and_the_destination()
    {
        var capabilities = new TransportCapabilities { MaxMessageSize = 1024, MaxBatchEntries = 10 };

        capabilities.EnsureBatchFits(Messages(10, 1), "orders");
        var ex = Assert.Throws<BatchTooLargeException>(() => capabilities.EnsureBatchFits(Messages(11, 1), "orders"));

        Assert.Equal(nameof(TransportCapabilities.MaxBatchEntries), ex.Capability);
        Assert.Equal(10, ex.Limit);
        Assert.Equal(11, ex.Actual);
        Assert.Equal("orders", ex.Destination);
        Assert.Contains("'orders' has 11 messages", ex.Message, StringComparison.Ordinal);
        Assert.Contains("limit of 10 (TransportCapabilities.MaxBatchEntries)", ex.Message, StringComparison.Ordinal);
        Assert.IsType<MessagingException>(ex, exactMatch: false);
    }

    [Fact]
    public void A_batch_of_exactly_MaxBatchBytes_fits_and_one_byte_more_is_refused_naming_the_limit_the_size_and_the_destination()
    {
        var capabilities = new TransportCapabilities { MaxMessageSize = 1024, MaxBatchBytes = 4096 };

        capabilities.EnsureBatchFits(Messages(4, 1024), "orders");
        var ex = Assert.Throws<BatchTooLargeException>(() => capabilities.EnsureBatchFits([.. Messages(4, 1024), new Envelope("t", new byte[1])], "orders"));

        Assert.Equal(nameof(TransportCapabilities.MaxBatchBytes), ex.Capability);
        Assert.Equal(4096, ex.Limit);
        Assert.Equal(4097, ex.Actual);
        Assert.Equal("orders", ex.Destination);
        Assert.Contains("4097 body bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_bodies_count_toward_MaxBatchBytes()
    {
        var capabilities = new TransportCapabilities { MaxMessageSize = 1024, MaxBatchBytes = 10 };

        capabilities.EnsureBatchFits([new Envelope(new string('t', 500), new byte[10]).WithHeader("h", new string('x', 4096))], "orders");
    }

    [Fact]
    public void An_oversized_message_is_named_before_the_batch_limits_are_checked()
    {
        var capabilities = new TransportCapabilities { MaxMessageSize = 4, MaxBatchEntries = 2, MaxBatchBytes = 8 };
        var tooLarge = new Envelope("t", new byte[5]);

        var ex = Assert.Throws<MessageTooLargeException>(() => capabilities.EnsureBatchFits([.. Messages(3, 4), tooLarge], "orders"));

        Assert.Equal(tooLarge.Id, ex.MessageId);
    }

    [Fact]
    public void Without_batch_limits_any_batch_of_fitting_messages_fits()
    {
        new TransportCapabilities { MaxMessageSize = 1024 }.EnsureBatchFits(Messages(5000, 1024), "orders");
    }

    private static List<Envelope> Messages(int count, int bodySize) =>
        Enumerable.Range(0, count).Select(_ => new Envelope("t", new byte[bodySize])).ToList();
}

using System.Text;
using Messaging.Adapters.RabbitMq.Tests.Support;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// A foreign message that is dead-lettered keeps the AMQP properties the envelope has no place for: a gzip body is not
/// redriven without its encoding.
/// </summary>
public sealed class ForeignDeadLetterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_dead_lettered_foreign_message_keeps_its_content_encoding_app_id_and_priority_and_shows_them_to_the_handler()
    {
        await using var transport = await TestBroker.ConnectAsync();
        var queue = TestBroker.UniqueName("foreign-dlq");
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), Ct);
        try
        {
            await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
            var seen = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var consumer = await transport.Queue.ConsumeAsync(queue, (message, _) =>
            {
                seen.TrySetResult(message);
                throw new InvalidOperationException("tests: cannot handle it");
            }, new ConsumerOptions { Retry = RetryPolicy.None }, Ct);
            var properties = new BasicProperties
            {
                MessageId = "foreign-gzip-1",
                ContentType = "application/json",
                ContentEncoding = "gzip",
                AppId = "billing",
                Priority = 7,
                UserId = TestBroker.UserName,
                Expiration = "600000",
            };
            await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, new byte[] { 0x1f, 0x8b, 0x08 }, Ct);

            var message = await seen.Task.WaitAsync(TimeSpan.FromSeconds(15), Ct);
            Assert.Equal("gzip", message.Envelope.Headers["amqp.content-encoding"]);
            Assert.Equal("billing", message.Envelope.Headers["amqp.app-id"]);
            Assert.Equal("7", message.Envelope.Headers["amqp.priority"]);
            Assert.Equal(TestBroker.UserName, message.Envelope.Headers["amqp.user-id"]);
            Assert.Equal("600000", message.Envelope.Headers["amqp.expiration"]);

            var letter = await TestBroker.GetOneAsync(channel, DestinationNames.DeadLetterQueue(queue), Ct);
            Assert.Equal("foreign-gzip-1", letter.BasicProperties.MessageId);
            Assert.Equal("gzip", letter.BasicProperties.ContentEncoding);
            Assert.Equal("billing", letter.BasicProperties.AppId);
            Assert.Equal(7, letter.BasicProperties.Priority);
            Assert.Null(letter.BasicProperties.Expiration);
            Assert.Equal(new byte[] { 0x1f, 0x8b, 0x08 }, letter.Body.ToArray());
            Assert.Contains("tests: cannot handle it", Encoding.UTF8.GetString((byte[])letter.BasicProperties.Headers![EnvelopeHeaders.DeadLetterReason]!), StringComparison.Ordinal);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_dead_lettered_foreign_message_keeps_every_header_in_its_own_AMQP_type()
    {
        await using var transport = await TestBroker.ConnectAsync();
        var queue = TestBroker.UniqueName("foreign-types");
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        var original = new Dictionary<string, object?>
        {
            ["count"] = 42,
            ["big"] = 1234567890123L,
            ["flag"] = true,
            ["price"] = 12.50m,
            ["ratio"] = 0.25d,
            ["at"] = new AmqpTimestamp(1_700_000_000),
            ["blob"] = new byte[] { 0xff, 0xfe, 0x00 },
            ["tags"] = new List<object?> { "a"u8.ToArray(), 1 },
            ["nested"] = new Dictionary<string, object?> { ["k"] = 7 },
        };
        try
        {
            await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
            await using var consumer = await transport.Queue.ConsumeAsync(queue, (_, _) => throw new DeadLetterException("tests: set aside"), null, Ct);
            await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, new BasicProperties { MessageId = "foreign-types-1", Headers = original }, "{}"u8.ToArray(), Ct);

            var letter = await TestBroker.GetOneAsync(channel, DestinationNames.DeadLetterQueue(queue), Ct);
            var headers = letter.BasicProperties.Headers!;
            foreach (var (name, sent) in original)
            {
                Assert.True(headers.TryGetValue(name, out var kept), $"The dead letter lost header '{name}'.");
                Assert.Equal(Shape(sent), Shape(kept));
            }

            Assert.Contains("tests: set aside", Encoding.UTF8.GetString((byte[])headers[EnvelopeHeaders.DeadLetterReason]!), StringComparison.Ordinal);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    /// <summary>A header value's AMQP type and content, as the client reads it back (strings arrive as bytes).</summary>
    private static string Shape(object? value) => value switch
    {
        null => "null",
        byte[] bytes => "bytes:" + Convert.ToHexString(bytes),
        AmqpTimestamp time => "timestamp:" + time.UnixTime.ToString(System.Globalization.CultureInfo.InvariantCulture),
        System.Collections.IDictionary table => "table{" + string.Join(",", table.Keys.Cast<string>().Order(StringComparer.Ordinal).Select(k => k + "=" + Shape(table[k]))) + "}",
        System.Collections.IList list => "list[" + string.Join(",", list.Cast<object?>().Select(Shape)) + "]",
        IFormattable formattable => value.GetType().Name + ":" + formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.GetType().Name + ":" + value,
    };
}

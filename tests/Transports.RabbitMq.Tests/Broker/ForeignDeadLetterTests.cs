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
                UserId = "guest",
                Expiration = "600000",
            };
            await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, new byte[] { 0x1f, 0x8b, 0x08 }, Ct);

            var message = await seen.Task.WaitAsync(TimeSpan.FromSeconds(15), Ct);
            Assert.Equal("gzip", message.Envelope.Headers["amqp.content-encoding"]);
            Assert.Equal("billing", message.Envelope.Headers["amqp.app-id"]);
            Assert.Equal("7", message.Envelope.Headers["amqp.priority"]);
            Assert.Equal("guest", message.Envelope.Headers["amqp.user-id"]);
            Assert.Equal("600000", message.Envelope.Headers["amqp.expiration"]);

            BasicGetResult? letter = null;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (letter is null && DateTime.UtcNow < deadline)
            {
                letter = await channel.BasicGetAsync(DestinationNames.DeadLetterQueue(queue), true, Ct);
                if (letter is null)
                {
                    await Task.Delay(50, Ct);
                }
            }

            Assert.NotNull(letter);
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
}

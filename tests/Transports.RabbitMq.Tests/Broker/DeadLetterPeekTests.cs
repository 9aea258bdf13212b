using Messaging.Adapters.RabbitMq.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// Peeking a dead-letter queue can never make the broker drop a letter: dead-letter queues are declared without
/// <c>x-delivery-limit</c>, and one declared with it by an earlier version is used but never peeked.
/// </summary>
public sealed class DeadLetterPeekTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_dead_letter_queue_declared_with_a_delivery_limit_is_used_with_a_warning_and_never_peeked()
    {
        using var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs));
        await using var transport = await TestBroker.ConnectAsync(configure: o => o.DeliveryLimit = 2, loggerFactory);
        var queue = TestBroker.UniqueName("legacy-dead-letters");
        var deadLetterQueue = queue + DestinationNames.DeadLetterSuffix;
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);

        // The definition an earlier version gave a dead-letter queue: with the limit, as every queue.
        await channel.QueueDeclareAsync(deadLetterQueue, true, false, false, new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-dead-letter-exchange"] = "messaging.dead-letter",
            ["x-dead-letter-routing-key"] = deadLetterQueue,
            ["x-delivery-limit"] = 2L,
        }, cancellationToken: Ct);
        var letters = new DeadLetters(transport);
        try
        {
            await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
            var letter = new Envelope("tests.legacy", new byte[] { 1 });
            await transport.Queue.SendAsync(deadLetterQueue, letter, Ct);

            for (var i = 0; i < 4; i++)
            {
                var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => letters.PeekAsync(deadLetterQueue, 10, Ct));
                Assert.Contains("x-delivery-limit", refusal.Message, StringComparison.Ordinal);
            }

            Assert.Equal(1, (await letters.CountAsync(deadLetterQueue, Ct)).Messages);
            Assert.Contains(logs.Lines, line => line.Contains($"Dead-letter queue {deadLetterQueue} was declared with x-delivery-limit", StringComparison.Ordinal));
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Peeking_a_queue_with_a_delivery_limit_is_refused()
    {
        await using var transport = await TestBroker.ConnectAsync(configure: o => o.DeliveryLimit = 2);
        var queue = TestBroker.UniqueName("limited");
        try
        {
            await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
            await transport.Queue.SendAsync(queue, new Envelope("tests.limited", new byte[] { 1 }), Ct);

            var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => ((Transport.IQueueInspector)transport).PeekAsync(queue, 10, Ct));

            Assert.Contains("x-delivery-limit", refusal.Message, StringComparison.Ordinal);
            Assert.Equal(new QueueCount(1), await ((Transport.IQueueInspector)transport).CountAsync(queue, Ct));
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }
}

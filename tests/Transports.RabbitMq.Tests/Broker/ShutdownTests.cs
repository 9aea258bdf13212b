using System.Collections.Concurrent;
using Messaging.Adapters.RabbitMq.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// Stopping a consumer is a matter of its own channel: however soon after the start it comes, it never takes down the
/// connection that the transport's other consumers share.
/// </summary>
public sealed class ShutdownTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stop_right_after_the_start_on_a_backlog_never_disturbs_the_other_consumers_of_the_connection()
    {
        using var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await using var transport = new RabbitMqTransport(TestBroker.Options(o => o.QueueType = RabbitMqQueueType.Classic), loggerFactory: loggerFactory);
        var queue = TestBroker.UniqueName("quick-stop");
        var bystanderQueue = TestBroker.UniqueName("bystander");
        await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        await transport.Topology.EnsureAsync(Destination.Queue(bystanderQueue), Ct);
        try
        {
            var messages = Enumerable.Range(0, 3000).Select(i => new Envelope("tests.quick-stop", new byte[] { (byte)i })).ToList();
            await transport.Queue.SendBatchAsync(queue, messages, Ct);
            var handled = new ConcurrentDictionary<string, int>();
            var bystander = new ConcurrentDictionary<string, int>();
            await using var watching = await transport.Queue.ConsumeAsync(bystanderQueue, (m, _) => { bystander.AddOrUpdate(m.Envelope.Id, 1, (_, n) => n + 1); return ValueTask.CompletedTask; }, null, Ct);

            for (var i = 0; i < 40 && handled.Count < messages.Count; i++)
            {
                var consumer = await transport.Queue.ConsumeAsync(
                    queue,
                    async (m, cancellationToken) =>
                    {
                        await Task.Delay(1, cancellationToken);
                        handled.AddOrUpdate(m.Envelope.Id, 1, (_, n) => n + 1);
                    },
                    new ConsumerOptions { MaxInFlight = 16 },
                    Ct);
                await Task.Delay(i % 40, Ct);
                await consumer.StopAsync(Ct);
                await transport.Queue.SendAsync(bystanderQueue, new Envelope("tests.bystander", new byte[] { 1 }), Ct);
            }

            await using (await transport.Queue.ConsumeAsync(queue, (m, _) => { handled.AddOrUpdate(m.Envelope.Id, 1, (_, n) => n + 1); return ValueTask.CompletedTask; }, null, Ct))
            {
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (handled.Count < messages.Count && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50, Ct);
                }
            }

            var lost = messages.Count(m => !handled.ContainsKey(m.Id));
            var duplicates = handled.Values.Sum(n => n - 1);
            TestContext.Current.TestOutputHelper?.WriteLine($"quick stops: lost {lost}, duplicates {duplicates}, bystander duplicates {bystander.Values.Sum(n => n - 1)}");
            var broken = logs.Lines.Where(l => l.Contains("lost its session", StringComparison.Ordinal) || l.Contains("channel.open", StringComparison.Ordinal) || l.Contains("Could not settle", StringComparison.Ordinal)).ToList();
            Assert.True(broken.Count == 0, "A stop disturbed the connection:\n" + string.Join("\n", broken.Take(5)));
            Assert.Equal(0, lost);
            Assert.Equal(0, duplicates);
            Assert.Equal(0, bystander.Values.Sum(n => n - 1));
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Queue(bystanderQueue), CancellationToken.None);
        }
    }
}

using System.Diagnostics.Metrics;
using Messaging.Adapters.Integration.Transports.Kafka;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Kafka.Tests.Broker;

/// <summary>
/// The <c>messaging.adapters.consumer.lag</c> gauge on Kafka: per partition of a group, the messages the broker holds
/// that the group has not finished; it shows a backlog behind a blocked handler and falls to 0 once it is handled.
/// </summary>
public sealed class ConsumerLagTests
{
    private const int Count = 50;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_lag_gauge_shows_the_backlog_behind_a_blocked_handler_and_falls_to_zero_once_it_is_handled()
    {
        await using var transport = new KafkaTransport(new KafkaTransportOptions
        {
            BootstrapServers = KafkaTestCluster.Bootstrap(),
            ClientId = "lag-tests",
            SessionTimeout = TimeSpan.FromSeconds(3),
            CommitInterval = TimeSpan.FromMilliseconds(100),
        });
        var queue = $"lag-{Guid.NewGuid():N}"[..24];
        await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        await transport.Queue.SendBatchAsync(queue, [.. Enumerable.Range(0, Count).Select(i => new Envelope("tests.lag", new byte[] { (byte)i }) { Key = "one-key" })], Ct);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = 0;
        await using var consumer = await transport.Queue.ConsumeAsync(queue, async (_, ct) =>
        {
            await release.Task.WaitAsync(ct);
            Interlocked.Increment(ref handled);
        }, new ConsumerOptions { MaxInFlight = 1 }, Ct);

        var blocked = await WaitForLagAsync(queue, lag => lag >= Count - 1);
        Assert.InRange(blocked, Count - 1, Count);

        release.TrySetResult();
        var caughtUp = await WaitForLagAsync(queue, lag => lag == 0);
        Assert.Equal(0, caughtUp);
        Assert.Equal(Count, Volatile.Read(ref handled));
    }

    /// <summary>Reads the gauge (as a metrics exporter's collection does) until the group's total lag satisfies the
    /// condition, and returns it.</summary>
    private static async Task<long> WaitForLagAsync(string group, Func<long, bool> condition)
    {
        long total = -1;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == ConsumerLag.InstrumentName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "messaging.consumer.group.name" && (string?)tag.Value == group)
                {
                    total = Math.Max(total, 0) + value;
                }
            }
        });
        listener.Start();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            total = -1;
            listener.RecordObservableInstruments();
            if ((total >= 0 && condition(total)) || DateTime.UtcNow > deadline)
            {
                Assert.True(total >= 0 && condition(total), $"The lag of group '{group}' was {total} when the wait ended.");
                return total;
            }

            await Task.Delay(50, Ct);
        }
    }
}

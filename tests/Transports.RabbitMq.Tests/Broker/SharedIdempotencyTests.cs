using System.Collections.Concurrent;
using Messaging.Adapters.RabbitMq.Tests.Support;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// Two processes (two transports, two stores) competing for one RabbitMQ queue through one
/// <see cref="DirectoryIdempotencyStore"/> directory handle each duplicated id exactly once.
/// </summary>
public sealed class SharedIdempotencyTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "idempotency-rabbitmq-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Competing_consumers_of_two_processes_sharing_the_directory_handle_each_duplicated_id_once()
    {
        await using var one = await TestBroker.ConnectAsync();
        await using var two = await TestBroker.ConnectAsync();
        var queue = TestBroker.UniqueName("idempotent-orders");
        var ids = Enumerable.Range(0, 100).Select(i => "order-" + i).ToList();
        var handled = new ConcurrentDictionary<string, int>();
        var acknowledged = new ConcurrentDictionary<string, int>();
        var allSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var retry = RetryPolicy.Default with { ImmediateRetries = 0, InitialDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(100), MaxAttempts = 50 };
        try
        {
            await one.Topology.EnsureAsync(Destination.Queue(queue), Ct);
            var consumers = new List<IConsumer>();
            foreach (var transport in new[] { one, two })
            {
                // A store of its own per "process": they share nothing but the directory.
                var store = new DirectoryIdempotencyStore(_directory);
                var handler = IdempotentHandler.Wrap(
                    async (message, ct) =>
                    {
                        handled.AddOrUpdate(message.Envelope.Id, 1, (_, n) => n + 1);
                        await Task.Delay(5, ct);
                    },
                    store,
                    queue);
                consumers.Add(await transport.Queue.ConsumeAsync(
                    queue,
                    async (message, ct) =>
                    {
                        await handler(message, ct);
                        if (acknowledged.AddOrUpdate(message.Envelope.Id, 1, (_, n) => n + 1) == 2 && acknowledged.Count == ids.Count && acknowledged.Values.All(n => n == 2))
                        {
                            allSeen.TrySetResult();
                        }
                    },
                    new ConsumerOptions { MaxInFlight = 8, Retry = retry },
                    Ct));
            }

            // Each id twice, back to back: the broker hands the copies to either process, often both at once.
            foreach (var id in ids)
            {
                await one.Queue.SendBatchAsync(queue, [new Envelope("order.placed", "{}"u8.ToArray()) { Id = id }, new Envelope("order.placed", "{}"u8.ToArray()) { Id = id }], Ct);
            }

            await allSeen.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
            foreach (var consumer in consumers)
            {
                await consumer.DisposeAsync();
            }

            Assert.Equal(ids.Order(StringComparer.Ordinal), handled.Keys.Order(StringComparer.Ordinal));
            var twice = handled.Where(p => p.Value != 1).Select(p => $"{p.Key} ({p.Value} times)").ToList();
            Assert.True(twice.Count == 0, "Handled more than once: " + string.Join(", ", twice));
        }
        finally
        {
            await one.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }
}

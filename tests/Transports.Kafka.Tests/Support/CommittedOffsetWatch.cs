using Confluent.Kafka;

namespace Messaging.Adapters.Kafka.Tests.Support;

/// <summary>
/// Watches a consumer group's committed offsets while a fault test runs, reading them every 100 ms from outside the
/// group, and records every time a partition's committed offset went below one seen before.
/// </summary>
internal sealed class CommittedOffsetWatch : IAsyncDisposable
{
    private readonly IConsumer<byte[], byte[]> _reader;
    private readonly List<TopicPartition> _partitions;
    private readonly Dictionary<TopicPartition, long> _highest = [];
    private readonly List<string> _regressions = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watching;

    public CommittedOffsetWatch(string bootstrap, string groupId, string topic, int partitions)
    {
        _reader = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = groupId, EnableAutoCommit = false }).Build();
        _partitions = Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)).ToList();
        _watching = Task.Run(WatchAsync);
    }

    public int Reads { get; private set; }

    /// <summary>Every regression seen, as "partition: from -> to".</summary>
    public IReadOnlyList<string> Regressions
    {
        get
        {
            lock (_regressions)
            {
                return [.. _regressions];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _reader.Dispose();
        _stop.Dispose();
    }

    private async Task WatchAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                foreach (var committed in _reader.Committed(_partitions, TimeSpan.FromSeconds(5)))
                {
                    var offset = committed.Offset.Value;
                    if (offset < 0)
                    {
                        continue;
                    }

                    if (_highest.TryGetValue(committed.TopicPartition, out var highest) && offset < highest)
                    {
                        lock (_regressions)
                        {
                            _regressions.Add($"{committed.TopicPartition}: {highest} -> {offset}");
                        }
                    }

                    _highest[committed.TopicPartition] = Math.Max(highest, offset);
                }

                Reads++;
            }
            catch (KafkaException)
            {
                // The coordinator may be down during a fault; the next read catches up.
            }

            try
            {
                await Task.Delay(100, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

using System.Globalization;
using System.Reflection;
using Confluent.Kafka;

namespace Messaging.Adapters.Kafka.Configuration;

/// <summary>
/// The librdkafka settings behind every client the transport creates, from <see cref="KafkaTransportOptions"/>; the
/// options' <c>Configure...</c> callbacks run last.
/// </summary>
internal sealed class KafkaClientSettings(KafkaTransportOptions options)
{
    public string ClientId { get; } = options.ClientId ?? Assembly.GetEntryAssembly()?.GetName().Name ?? "messaging-adapters";

    /// <summary>An idempotent producer that completes a message only when every in-sync replica has it.</summary>
    public ProducerConfig Producer()
    {
        var config = new ProducerConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = ClientId,
            EnableIdempotence = true,
            Acks = Acks.All,
            MessageTimeoutMs = Milliseconds(options.PublishTimeout),
            // Batches fill for a moment under load; a lone message waits at most this long.
            LingerMs = 2,
            // A message without a key goes to a random partition of its own, not to the partition the producer sticks
            // to for a while (librdkafka's default): a burst sent to a queue is then shared by all its consumers,
            // instead of landing in one partition that only one consumer reads.
            StickyPartitioningLingerMs = 0,
            // Topics are created by the transport (TopicProvisioner), never as a side effect of a send.
            AllowAutoCreateTopics = false,
            MessageMaxBytes = options.MaxMessageSize + KafkaTransportOptions.HeaderAllowance,
        };
        options.ConfigureProducer?.Invoke(config);
        return config;
    }

    /// <summary>A consumer of <paramref name="groupId"/> that commits nothing by itself: the transport commits the
    /// positions of finished messages (see <see cref="Consuming.AssignedPartition"/>).</summary>
    public ConsumerConfig Consumer(string groupId, AutoOffsetReset reset)
    {
        var session = Milliseconds(options.SessionTimeout);
        var config = new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = ClientId,
            GroupId = groupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = reset,
            SessionTimeoutMs = session,
            HeartbeatIntervalMs = Math.Max(100, session / 5),
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.RoundRobin,
            AllowAutoCreateTopics = false,
            EnablePartitionEof = false,
            // Small messages are handed over soon rather than waiting for a fuller fetch.
            FetchWaitMaxMs = 100,
        };
        options.ConfigureConsumer?.Invoke(config);
        return config;
    }

    /// <summary>The admin client; it may create topics on first use where the cluster refuses the admin API but creates
    /// topics it is asked about (see <see cref="Topology.TopicProvisioner"/>).</summary>
    public AdminClientConfig Admin()
    {
        var config = new AdminClientConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = ClientId,
        };
        config.Set("allow.auto.create.topics", "true");
        options.ConfigureAdmin?.Invoke(config);
        return config;
    }

    private static int Milliseconds(TimeSpan value) => (int)Math.Clamp(value.TotalMilliseconds, 1, int.MaxValue);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{options.BootstrapServers} as {ClientId}");
}

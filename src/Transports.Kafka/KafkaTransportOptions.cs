using Confluent.Kafka;

namespace Messaging.Adapters.Kafka;

/// <summary>
/// Options of the Kafka transport (configuration section <c>Messaging:Kafka</c>).
/// </summary>
/// <remarks>
/// <para>How our words map onto Kafka's:</para>
/// <list type="bullet">
/// <item><description>A <b>topic</b> is a Kafka topic; the message key is <see cref="Envelope.Key"/>, so one key stays
/// in one partition.</description></item>
/// <item><description>A <b>subscription</b> is the consumer group <c>&lt;topic&gt;.&lt;subscription&gt;</c>. It reads
/// the topic and its own topic <c>&lt;topic&gt;.&lt;subscription&gt;</c>, which only this group reads: sending to the
/// subscription queue with <see cref="IQueue.SendAsync"/> (a dead-letter redrive) reaches this subscription and no
/// other. A new subscription starts at the end of the topic as it was when the subscription was created (its group
/// commits the topic's end offsets once), then keeps its position durably in the group's committed offsets.</description></item>
/// <item><description>A <b>queue</b> is a topic read by one shared consumer group named after the queue, from the
/// beginning. Each consumer handles up to <see cref="ConsumerOptions.MaxInFlight"/> messages at once, of one partition
/// too, and commits only the highest contiguous finished offset per partition.</description></item>
/// <item><description>A <b>stream</b> is a topic read by the consumer group <c>&lt;stream&gt;.&lt;group&gt;</c> from a
/// chosen position; its checkpoints are the group's committed offsets.</description></item>
/// <item><description><b>Dead letters</b> go to the topic <c>&lt;source&gt;.dead-letter</c> with the reason headers.
/// Delayed retries wait in the consumer (see the README: the partition keeps moving because later offsets are handled
/// while the retry waits; only the commit waits).</description></item>
/// </list>
/// </remarks>
public sealed class KafkaTransportOptions : TransportOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string SectionName = "Messaging:Kafka";

    /// <summary>The environment variable the tests, samples and benchmarks read the bootstrap servers from; when it is
    /// not set they read the file the local mock cluster writes (see <c>eng/brokers/kafka.sh</c>).</summary>
    public const string BootstrapEnvironmentVariable = "MESSAGING_KAFKA_BOOTSTRAP";

    /// <summary>The cluster's bootstrap servers, <c>host:port[,host:port...]</c>.</summary>
    /// <value>The default value is <c>localhost:9092</c>.</value>
    public string BootstrapServers { get; set; } = "localhost:9092";

    /// <summary>The client id the brokers see and log.</summary>
    /// <value>The default value is <see langword="null"/>: the entry assembly's name.</value>
    public string? ClientId { get; set; }

    /// <summary>How many partitions a topic the transport creates gets.</summary>
    /// <value>The default value is 4. Valid values are 1 to 10,000.</value>
    /// <remarks>A cluster that refuses topic creation through the admin API but creates topics on first use (the
    /// librdkafka mock cluster, <c>auto.create.topics.enable</c>) uses its own default instead.</remarks>
    public int Partitions { get; set; } = 4;

    /// <summary>The replication factor of topics the transport creates.</summary>
    /// <value>The default value is -1: the cluster's default (<c>default.replication.factor</c>). Valid values are -1 and 1 to 32.</value>
    public short ReplicationFactor { get; set; } = -1;

    /// <summary>Whether publishing, sending, appending and consuming create the topics they need on first use.</summary>
    /// <value>The default value is <see langword="true"/>. With <see langword="false"/> a missing topic is an error naming it.</value>
    public bool ProvisionOnFirstUse { get; set; } = true;

    /// <summary>How long a publish waits for its delivery report before it fails with
    /// <see cref="TransportUnavailableException"/> (outcome unknown): librdkafka's <c>message.timeout.ms</c>.</summary>
    /// <value>The default value is 30 seconds. Valid values are 1 second to 10 minutes.</value>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a consumer commits the positions of its finished messages (one synchronous commit at a time,
    /// from its poll thread); they are also committed when a partition is revoked and when a consumer stops.</summary>
    /// <value>The default value is 1 second. Valid values are 10 ms to 1 minute.</value>
    /// <remarks>After a crash, messages finished during the last interval are delivered again (at-least-once).</remarks>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The consumer group session timeout: how long the group waits for a consumer that stopped heart-beating
    /// before its partitions go to others.</summary>
    /// <value>The default value is 10 seconds. Valid values are 1 second to 5 minutes.</value>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a revoked partition's running handlers may take to finish before they are cancelled and their
    /// messages left uncommitted for the partition's next owner.</summary>
    /// <value>The default value is 10 seconds. Valid values are 0 to 5 minutes.</value>
    /// <remarks>Keep it well below the time the group waits for members to rejoin a rebalance (a broker:
    /// <c>max.poll.interval.ms</c>, 5 minutes by default; librdkafka's mock cluster: the session timeout less a
    /// second). A member still waiting for its handlers after that is left out of the rebalance: its partitions go to
    /// others at once, and their messages may reach the next owner without <see cref="ReceivedMessage.Redelivered"/>.</remarks>
    public TimeSpan RevokeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many messages a stream reader keeps ready ahead of its handler, per reader.</summary>
    /// <value>The default value is 64. Valid values are 1 to 10,000.</value>
    public int StreamPrefetch { get; set; } = 64;

    /// <summary>The largest message body accepted, in bytes (<see cref="TransportCapabilities.MaxMessageSize"/>).</summary>
    /// <value>The default value is 983,040 (960 KiB): with <see cref="HeaderAllowance"/> for the key and headers it
    /// fits Kafka's default <c>message.max.bytes</c> (1 MiB + 12 bytes). Valid values are 1 to 100,000,000.</value>
    /// <remarks>The producer's own <c>message.max.bytes</c> is set to this plus <see cref="HeaderAllowance"/>; a larger
    /// value needs the topics' <c>max.message.bytes</c> raised to match.</remarks>
    public int MaxMessageSize { get; set; } = 960 * 1024;

    /// <summary>The bytes allowed for a message's key, headers and record overhead on top of its body.</summary>
    public const int HeaderAllowance = 64 * 1024;

    /// <summary>Changes the producer's configuration after the transport set its own: the escape hatch to every
    /// librdkafka producer setting (security, compression, linger).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>It runs last and can break the transport's guarantees: keep <c>enable.idempotence</c> and
    /// <c>acks=all</c>.</remarks>
    public Action<ProducerConfig>? ConfigureProducer { get; set; }

    /// <summary>Changes every consumer's configuration after the transport set its own (security, fetch sizes).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>It runs last and can break the transport's guarantees: never turn <c>enable.auto.offset.store</c> on.</remarks>
    public Action<ConsumerConfig>? ConfigureConsumer { get; set; }

    /// <summary>Changes the admin client's configuration after the transport set its own (security).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<AdminClientConfig>? ConfigureAdmin { get; set; }

    /// <summary>The bootstrap servers, for logs.</summary>
    /// <returns>The bootstrap servers.</returns>
    public override string ToString() => $"Kafka at {BootstrapServers}";
}

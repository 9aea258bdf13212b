using System.Text;
using Confluent.Kafka;
using Messaging.Adapters.Integration.Conformance;
using Messaging.Adapters.Kafka;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Integration.Transports.Kafka;

/// <summary>
/// Runs the conformance suite against Kafka: the cluster at <c>MESSAGING_KAFKA_BOOTSTRAP</c>, by default the local
/// librdkafka mock cluster that <c>eng/brokers/kafka.sh</c> starts. A cluster that cannot be reached fails the fixture
/// (and so every test), naming where it looked; it never skips.
/// </summary>
public sealed class KafkaFixture : TransportFixture
{
    /// <inheritdoc />
    public override string EndpointDescription => KafkaTestCluster.Describe();

    /// <inheritdoc />
    /// <value>30 seconds: a consumer's first partitions come after its group's join and rebalance round.</value>
    public override TimeSpan Timeout => TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    /// <value>1.5 seconds: a consumer's group must have joined before "nothing arrived" means anything.</value>
    public override TimeSpan QuietPeriod => TimeSpan.FromMilliseconds(1500);

    /// <inheritdoc />
    /// <value>Kafka's binding has one form: <c>ce_</c> headers.</value>
    public override IReadOnlyList<string> CloudEventsHeaderPrefixes => ["ce_"];

    /// <inheritdoc />
    public override string? ReceiveOperationName => "poll";

    /// <inheritdoc />
    /// <remarks>Produced with a plain Confluent.Kafka producer. Kafka headers are bytes: a <see cref="byte"/>[] value is
    /// written as it is, any other value as the UTF-8 of its <see cref="HeaderText"/> form (what a producer writing
    /// text would send); the content type goes in a <c>content-type</c> header. Kafka has no native message id, type
    /// or timestamp property beyond the record's own time, which <see cref="ForeignMessage.Timestamp"/> sets.</remarks>
    public override async Task SendForeignAsync(string queue, ForeignMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await Transport.Topology.EnsureAsync(Destination.Queue(queue), cancellationToken);
        using var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig { BootstrapServers = KafkaTestCluster.Bootstrap(), ClientId = "conformance-foreign-" + RunId, Acks = Acks.All }).Build();
        var headers = new Headers();
        if (message.ContentType is { } contentType)
        {
            headers.Add("content-type", Encoding.UTF8.GetBytes(contentType));
        }

        foreach (var (name, value) in message.Headers)
        {
            headers.Add(name, value as byte[] ?? Encoding.UTF8.GetBytes(HeaderText.Format(value)));
        }

        var record = new Message<byte[]?, byte[]> { Value = message.Body.ToArray(), Headers = headers };
        if (message.Timestamp is { } timestamp)
        {
            record.Timestamp = new Timestamp(timestamp);
        }

        await producer.ProduceAsync(queue, record, cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task<ITransport> CreateTransportAsync(CancellationToken cancellationToken)
    {
        var transport = new KafkaTransport(new KafkaTransportOptions
        {
            BootstrapServers = KafkaTestCluster.Bootstrap(),
            ClientId = "conformance-" + RunId,
            // Short sessions so that a consumer that goes away hands its partitions over quickly.
            SessionTimeout = TimeSpan.FromMilliseconds(3000),
            CommitInterval = TimeSpan.FromMilliseconds(100),
            // Shorter than the time a rebalance waits for members to rejoin: on the mock cluster that is the session
            // timeout less a second (a broker waits max.poll.interval.ms). A member that waits longer for its revoked
            // handlers is left out of the rebalance, and the partitions' next owner starts before the member marked
            // what it had handed out as redelivered.
            RevokeTimeout = TimeSpan.FromMilliseconds(1500),
        });
        try
        {
            await transport.ConnectAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await transport.DisposeAsync();
            throw new InvalidOperationException($"{nameof(KafkaFixture)} cannot reach {EndpointDescription}: {ex.Message}", ex);
        }

        return transport;
    }
}

using Messaging.Adapters.Integration.Conformance;
using Messaging.Adapters.Kafka;

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
    protected override async Task<ITransport> CreateTransportAsync(CancellationToken cancellationToken)
    {
        var transport = new KafkaTransport(new KafkaTransportOptions
        {
            BootstrapServers = KafkaTestCluster.Bootstrap(),
            ClientId = "conformance-" + RunId,
            // Short sessions so that a consumer that goes away hands its partitions over quickly.
            SessionTimeout = TimeSpan.FromMilliseconds(3000),
            CommitInterval = TimeSpan.FromMilliseconds(100),
            RevokeTimeout = TimeSpan.FromSeconds(5),
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

using DotNet.Testcontainers.Containers;
using Testcontainers.Kafka;

namespace Messaging.Adapters.Testing.Brokers;

/// <summary>Kafka through Testcontainers.Kafka; the transport gets the container's bootstrap address.</summary>
internal sealed class KafkaBroker : IBrokerDefinition
{
    public string Transport => "Kafka";

    public string Image(MessagingBrokerOptions options, Func<string, string?> environment) =>
        BrokerImage.Resolve(
            options.KafkaImage,
            MessagingBrokerOptions.KafkaImageVariable,
            MessagingBrokerOptions.DefaultKafkaImage,
            environment);

    public ushort ContainerPort => KafkaBuilder.KafkaPort;

    public IContainer Create(string image, ushort hostPort, IReadOnlyDictionary<string, string> labels) =>
        new KafkaBuilder(image).WithPortBinding(hostPort, ContainerPort).WithLabel(labels).Build();

    public IReadOnlyDictionary<string, string?> Settings(IContainer container, MessagingBrokerOptions options) =>
        Settings(((KafkaContainer)container).GetBootstrapAddress());

    /// <param name="bootstrapAddress">Testcontainers' address, <c>PLAINTEXT://host:port/</c> or <c>host:port</c>.</param>
    public static IReadOnlyDictionary<string, string?> Settings(string bootstrapAddress)
    {
        // Messaging:Kafka:BootstrapServers takes host:port pairs; Testcontainers hands out a listener URL.
        var hostAndPort = bootstrapAddress.Contains("://", StringComparison.Ordinal)
            ? bootstrapAddress[(bootstrapAddress.IndexOf("://", StringComparison.Ordinal) + 3)..]
            : bootstrapAddress;
        return new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "Kafka",
            ["Messaging:Kafka:BootstrapServers"] = hostAndPort.TrimEnd('/'),
        };
    }
}

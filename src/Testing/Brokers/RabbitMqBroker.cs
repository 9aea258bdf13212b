using DotNet.Testcontainers.Containers;
using Testcontainers.RabbitMq;

namespace Messaging.Adapters.Testing.Brokers;

/// <summary>RabbitMQ through Testcontainers.RabbitMq; the transport gets the container's AMQP URI.</summary>
internal sealed class RabbitMqBroker : IBrokerDefinition
{
    public string Transport => "RabbitMq";

    public string Image(MessagingBrokerOptions options, Func<string, string?> environment) =>
        BrokerImage.Resolve(
            options.RabbitMqImage,
            MessagingBrokerOptions.RabbitMqImageVariable,
            MessagingBrokerOptions.DefaultRabbitMqImage,
            environment);

    public ushort ContainerPort => RabbitMqBuilder.RabbitMqPort;

    public IContainer Create(string image, ushort hostPort, IReadOnlyDictionary<string, string> labels) =>
        new RabbitMqBuilder(image).WithPortBinding(hostPort, ContainerPort).WithLabel(labels).Build();

    public IReadOnlyDictionary<string, string?> Settings(IContainer container, MessagingBrokerOptions options) =>
        Settings(new Uri(((RabbitMqContainer)container).GetConnectionString()));

    public static IReadOnlyDictionary<string, string?> Settings(Uri amqpUri) => new Dictionary<string, string?>
    {
        ["Messaging:Transport"] = "RabbitMq",
        ["Messaging:RabbitMq:Uri"] = amqpUri.ToString(),
    };
}

using Messaging.Adapters.Aws;
using Messaging.Adapters.Kafka;
using Messaging.Adapters.RabbitMq;
using Messaging.Adapters.Testing.Brokers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Messaging.Adapters.Testing.Tests.Unit;

/// <summary>
/// The configuration each broker hands to AddMessaging, checked by the adapters themselves: the keys must bind to the
/// transport's options (a key an adapter does not have would stop its start-up), without any container.
/// </summary>
public sealed class BrokerSettingsTests
{
    [Fact]
    public void RabbitMq_settings_select_the_transport_and_bind_to_its_uri()
    {
        var settings = RabbitMqBroker.Settings(new Uri("amqp://rabbitmq:rabbitmq@127.0.0.1:32771/"));

        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["Messaging:Transport"] = "RabbitMq",
                ["Messaging:RabbitMq:Uri"] = "amqp://rabbitmq:rabbitmq@127.0.0.1:32771/",
            },
            settings);
        var options = Bind<RabbitMqTransportOptions>(settings);
        Assert.Equal(new Uri("amqp://rabbitmq:rabbitmq@127.0.0.1:32771/"), options.Uri);
    }

    [Theory]
    [InlineData("PLAINTEXT://127.0.0.1:32772/", "127.0.0.1:32772")]
    [InlineData("PLAINTEXT://127.0.0.1:32772", "127.0.0.1:32772")]
    [InlineData("localhost:9093", "localhost:9093")]
    public void Kafka_settings_select_the_transport_and_bind_the_bootstrap_address_as_host_and_port(string address, string servers)
    {
        var settings = KafkaBroker.Settings(address);

        Assert.Equal(
            new Dictionary<string, string?> { ["Messaging:Transport"] = "Kafka", ["Messaging:Kafka:BootstrapServers"] = servers },
            settings);
        Assert.Equal(servers, Bind<KafkaTransportOptions>(settings).BootstrapServers);
    }

    [Fact]
    public void Aws_settings_select_the_transport_and_bind_the_endpoint_and_region()
    {
        var settings = AwsBroker.Settings(new Uri("http://127.0.0.1:32773"), "eu-west-1");

        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["Messaging:Transport"] = "Aws",
                ["Messaging:Aws:ServiceUrl"] = "http://127.0.0.1:32773/",
                ["Messaging:Aws:Region"] = "eu-west-1",
            },
            settings);
        var options = Bind<AwsTransportOptions>(settings);
        Assert.Equal(new Uri("http://127.0.0.1:32773/"), options.ServiceUrl);
        Assert.Equal("eu-west-1", options.Region);
    }

    [Theory]
    [InlineData("RabbitMq", "RabbitMq")]
    [InlineData("rabbitmq", "RabbitMq")]
    [InlineData("KAFKA", "Kafka")]
    [InlineData("aws", "Aws")]
    public void A_broker_is_found_by_transport_name_ignoring_case(string name, string transport) =>
        Assert.Equal(transport, BrokerDefinitions.For(name).Transport);

    [Fact]
    public void An_unknown_transport_is_refused_naming_the_ones_there_are()
    {
        var error = Assert.Throws<ArgumentException>(() => BrokerDefinitions.For("InMemory"));

        Assert.Contains("No broker for transport 'InMemory'", error.Message, StringComparison.Ordinal);
        Assert.Contains("RabbitMq, Kafka, Aws", error.Message, StringComparison.Ordinal);
        Assert.Equal(["RabbitMq", "Kafka", "Aws"], MessagingBroker.Transports);
    }

    private static T Bind<T>(IReadOnlyDictionary<string, string?> settings)
        where T : class
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddMessaging(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<T>>().Value;
    }
}

using Messaging.Adapters.Testing.Brokers;

namespace Messaging.Adapters.Testing.Tests.Unit;

/// <summary>Which image each broker runs: the option, else its environment variable, else the upstream default.</summary>
public sealed class BrokerImageTests
{
    public static TheoryData<string, string, string> Brokers => new()
    {
        { "RabbitMq", MessagingBrokerOptions.RabbitMqImageVariable, MessagingBrokerOptions.DefaultRabbitMqImage },
        { "Kafka", MessagingBrokerOptions.KafkaImageVariable, MessagingBrokerOptions.DefaultKafkaImage },
        { "Aws", MessagingBrokerOptions.LocalStackImageVariable, MessagingBrokerOptions.DefaultLocalStackImage },
    };

    [Theory]
    [MemberData(nameof(Brokers))]
    public void Without_option_or_variable_the_upstream_image_runs(string transport, string variable, string upstream)
    {
        var image = BrokerDefinitions.For(transport).Image(new MessagingBrokerOptions(), Unset);

        Assert.Equal(upstream, image);
        Assert.DoesNotContain("messaging-adapters/", upstream, StringComparison.Ordinal);
        Assert.NotNull(variable);
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public void The_environment_variable_overrides_the_default(string transport, string variable, string upstream)
    {
        var image = BrokerDefinitions.For(transport).Image(
            new MessagingBrokerOptions(), name => name == variable ? "mirror.local/broker:1" : null);

        Assert.Equal("mirror.local/broker:1", image);
        Assert.NotEqual(upstream, image);
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public void The_option_overrides_the_environment_variable(string transport, string variable, string upstream)
    {
        var options = new MessagingBrokerOptions
        {
            RabbitMqImage = "option/rabbitmq:1",
            KafkaImage = "option/kafka:1",
            LocalStackImage = "option/localstack:1",
        };

        var image = BrokerDefinitions.For(transport).Image(options, name => name == variable ? "variable/broker:1" : upstream);

        Assert.Equal($"option/{(transport == "Aws" ? "localstack" : transport.ToLowerInvariant())}:1", image);
    }

    [Fact]
    public void A_blank_variable_counts_as_unset() =>
        Assert.Equal(
            MessagingBrokerOptions.DefaultKafkaImage,
            BrokerDefinitions.For("Kafka").Image(new MessagingBrokerOptions(), _ => "  "));

    private static string? Unset(string name) => null;
}

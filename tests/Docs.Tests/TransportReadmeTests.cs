using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Adapters.Docs;

/// <summary>The registration samples of the adapters' READMEs, run: each adds its transport, which is then built.</summary>
public sealed class TransportReadmeTests
{
    [Fact]
    public async Task In_memory_by_configuration()
    {
        var (services, configuration) = Start("InMemory");
        // snippet: in-memory-by-configuration
        services.AddMessaging(configuration);           // Messaging:Transport = InMemory (the default)
        // end snippet
        await AssertTransportAsync(services, "InMemory");
    }

    [Fact]
    public async Task In_memory_in_code()
    {
        var services = new ServiceCollection();
        // snippet: in-memory-in-code
        services.AddInMemoryTransport(o => o.MaxMessageSize = 1024 * 1024);
        // end snippet
        await AssertTransportAsync(services, "InMemory");
    }

    [Fact]
    public async Task RabbitMq_by_configuration()
    {
        var (services, configuration) = Start("RabbitMq");
        // snippet: rabbitmq-by-configuration
        services.AddMessaging(configuration);   // Messaging:Transport = RabbitMq, options under Messaging:RabbitMq
        // end snippet
        await AssertTransportAsync(services, "RabbitMq");
    }

    [Fact]
    public async Task RabbitMq_in_code()
    {
        var services = new ServiceCollection();
        // snippet: rabbitmq-in-code
        services.AddRabbitMqTransport(o => o.Uri = new Uri("amqp://app:secret@rabbit:5672/shop"));
        // end snippet
        await AssertTransportAsync(services, "RabbitMq");
    }

    [Fact]
    public async Task Aws_by_configuration()
    {
        WithAwsCredentials();
        var (services, configuration) = Start("Aws", ("Messaging:Aws:Region", "eu-west-1"));
        // snippet: aws-by-configuration
        services.AddMessaging(configuration);   // Messaging:Transport = Aws, options under Messaging:Aws
        // end snippet
        await AssertTransportAsync(services, "Aws");
    }

    [Fact]
    public async Task Aws_in_code()
    {
        WithAwsCredentials();
        var services = new ServiceCollection();
        // snippet: aws-in-code
        services.AddAwsTransport(o => o.Region = "eu-west-1");
        // end snippet
        await AssertTransportAsync(services, "Aws");
    }

    private static (ServiceCollection Services, IConfiguration Configuration) Start(string transport, params (string Key, string Value)[] more) =>
        (new ServiceCollection(), new ConfigurationBuilder()
            .AddInMemoryCollection(more.Prepend(("Messaging:Transport", transport)).Select(v => new KeyValuePair<string, string?>(v.Item1, v.Item2)))
            .Build());

    /// <summary>The AWS transport resolves its credentials as it is built, from the environment as an application's
    /// would be; these tests give it dummy ones (and no instance metadata lookup) where the machine has none.</summary>
    private static void WithAwsCredentials()
    {
        foreach (var (name, value) in new[] { ("AWS_ACCESS_KEY_ID", "docs-test"), ("AWS_SECRET_ACCESS_KEY", "docs-test"), ("AWS_EC2_METADATA_DISABLED", "true") })
        {
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    /// <summary>Builds the registered transport (no broker is contacted before first use) and checks which it is.</summary>
    private static async Task AssertTransportAsync(ServiceCollection services, string name)
    {
        await using var provider = services.BuildServiceProvider();
        Assert.Equal(name, provider.GetRequiredService<ITransport>().Name);
    }
}

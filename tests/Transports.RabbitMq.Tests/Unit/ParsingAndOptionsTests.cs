using Messaging.Adapters.RabbitMq.Configuration;
using Messaging.Adapters.RabbitMq.Connection;
using Messaging.Adapters.RabbitMq.Consuming;
using Messaging.Adapters.RabbitMq.Topology;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Messaging.Adapters.RabbitMq.Tests.Unit;

/// <summary>The adapter's small pieces of logic, without a broker.</summary>
public sealed class ParsingAndOptionsTests
{
    [Theory]
    [InlineData("PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received 'quorum' but current is 'classic'", "x-queue-type", "classic")]
    [InlineData("PRECONDITION_FAILED - inequivalent arg 'x-dead-letter-exchange' for queue 'q' in vhost '/': received the value 'a' of type 'longstr' but current is none", "x-dead-letter-exchange", null)]
    [InlineData("PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'q' in vhost '/': received none but current is the value '10' of type 'long'", "x-max-length", 10L)]
    [InlineData("PRECONDITION_FAILED - inequivalent arg 'durable' for queue 'q' in vhost 'v': received 'true' but current is 'false'", "durable", false)]
    [InlineData("PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'x' in vhost '/': received 'headers' but current is 'fanout'", "type", "fanout")]
    public void A_PRECONDITION_FAILED_text_gives_the_argument_and_its_existing_value(string text, string argument, object? current)
    {
        Assert.True(BrokerErrors.TryReadInequivalentArgument(text, out var difference));
        Assert.Equal(argument, difference.Argument);
        Assert.Equal(current, difference.Current);
    }

    [Fact]
    public void A_text_without_a_difference_is_not_read_as_one() =>
        Assert.False(BrokerErrors.TryReadInequivalentArgument("NOT_FOUND - no queue 'q' in vhost '/'", out _));

    [Theory]
    [InlineData("amqp://guest:secret@localhost:5672/", "amqp://guest:***@localhost:5672/")]
    [InlineData("amqps://user:p%40ss@broker.example.com/vhost", "amqps://user:***@broker.example.com/vhost")]
    [InlineData("amqp://localhost", "amqp://localhost/")]
    public void An_endpoint_is_described_without_its_password(string uri, string expected) =>
        Assert.Equal(expected, RabbitMqEndpoint.Describe(new Uri(uri)));

    [Fact]
    public void Tls_is_on_for_amqps_or_when_asked_and_verifies_the_server_name()
    {
        var amqps = RabbitMqEndpoint.CreateFactory(new RabbitMqTransportOptions { Uri = new Uri("amqps://app:secret@rabbit.example.com/shop") }, _ => false);
        Assert.True(amqps.Ssl.Enabled);
        Assert.Equal("rabbit.example.com", amqps.Ssl.ServerName);
        Assert.Equal(5671, amqps.Port);
        Assert.Equal(System.Net.Security.SslPolicyErrors.None, amqps.Ssl.AcceptablePolicyErrors);

        var options = new RabbitMqTransportOptions { Uri = new Uri("amqp://app:secret@10.0.0.5/") };
        options.Tls.Enabled = true;
        options.Tls.ServerName = "rabbit.internal";
        var asked = RabbitMqEndpoint.CreateFactory(options, _ => false);
        Assert.True(asked.Ssl.Enabled);
        Assert.Equal("rabbit.internal", asked.Ssl.ServerName);
        Assert.Equal(5671, asked.Port);

        var plain = RabbitMqEndpoint.CreateFactory(new RabbitMqTransportOptions { Uri = new Uri("amqp://localhost") }, _ => false);
        Assert.False(plain.Ssl.Enabled);
        Assert.True(plain.AutomaticRecoveryEnabled);
    }

    [Fact]
    public void Invalid_options_are_reported_with_their_full_keys()
    {
        var options = new RabbitMqTransportOptions
        {
            Uri = new Uri("http://guest:secret@localhost/"),
            PublishTimeout = TimeSpan.Zero,
            MaxMessageSize = 0,
            PublishChannels = 0,
            StreamPrefetch = 0,
        };

        var problems = RabbitMqTransportOptionsValidator.FindProblems(options);

        Assert.Contains(problems, p => p.StartsWith("Messaging:RabbitMq:Uri must be an absolute amqp://", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Messaging:RabbitMq:PublishTimeout must be", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Messaging:RabbitMq:MaxMessageSize must be", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Messaging:RabbitMq:PublishChannels must be", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Messaging:RabbitMq:StreamPrefetch must be", StringComparison.Ordinal));
        Assert.All(problems, p => Assert.DoesNotContain("secret", p, StringComparison.Ordinal));
        var error = Assert.Throws<ArgumentException>(() => new RabbitMqTransport(options));
        Assert.Contains("Messaging:RabbitMq:Uri", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_installed_RabbitMq_adapter_is_discovered_and_the_missing_in_memory_one_is_reported_by_package()
    {
        var inMemory = new ConfigurationBuilder().AddInMemoryCollection([new("Messaging:Transport", "InMemory")]).Build();

        var ex = Assert.Throws<MessagingConfigurationException>(() => new ServiceCollection().AddMessaging(inMemory));

        Assert.Equal([TransportCatalog.RabbitMq], TransportCatalog.Installed());
        Assert.IsType<RabbitMqTransportRegistration>(TransportCatalog.TryFindRegistration("rabbitmq"));
        Assert.Equal(
            "Messaging:Transport is 'InMemory', but its adapter package Messaging.Adapters.InMemory is not installed. " +
            "Install it, or set Messaging:Transport to an available transport: RabbitMq.",
            ex.Message);
    }

    [Fact]
    public void Without_a_Uri_the_local_broker_is_used_and_a_bad_Uri_stops_start_up_naming_the_key()
    {
        var local = new ConfigurationBuilder().AddInMemoryCollection([new("Messaging:Transport", "RabbitMq")]).Build();
        using (var provider = new ServiceCollection().AddMessaging(local).BuildServiceProvider())
        {
            Assert.Equal(new Uri(RabbitMqTransportOptions.LocalUri), provider.GetRequiredService<IOptions<RabbitMqTransportOptions>>().Value.Uri);
        }

        var bad = new ConfigurationBuilder().AddInMemoryCollection([
            new("Messaging:Transport", "RabbitMq"),
            new("Messaging:RabbitMq:Uri", "http://app:secret@rabbit.example.com/"),
        ]).Build();
        using var badProvider = new ServiceCollection().AddMessaging(bad).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<RabbitMqTransportOptions>>().Value);

        Assert.Contains("Messaging:RabbitMq:Uri must be an absolute amqp:// or amqps:// URI", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("amqp://guest:s3cr3t@localhost:notaport/", "is not a valid URI (Invalid URI: Invalid port specified)")]
    [InlineData("amqp://guest:s3#cr3t@localhost:5672/", "is not a valid URI")]
    [InlineData("amqp://guest:s3/cr?3t@localhost:5672/", "is not a valid URI")]
    [InlineData("guest:s3cr3t@localhost:5672", "must be an absolute amqp:// or amqps:// URI")]
    public void A_malformed_Uri_stops_start_up_naming_the_key_and_never_the_password(string uri, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([
            new("Messaging:Transport", "RabbitMq"),
            new("Messaging:RabbitMq:Uri", uri),
        ]).Build();
        using var provider = new ServiceCollection().AddMessaging(configuration).BuildServiceProvider();

        var error = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IOptions<RabbitMqTransportOptions>>().Value);

        Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("Messaging:RabbitMq:Uri " + expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("guest:***@localhost", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cr3t", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_Messaging_Transport_the_only_installed_adapter_is_used()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Messaging:RabbitMq:ClientName", "only-one")]).Build();

        await using var provider = new ServiceCollection().AddMessaging(configuration).BuildServiceProvider();

        var transport = Assert.IsType<RabbitMqTransport>(provider.GetRequiredService<ITransport>());
        Assert.Equal("only-one", transport.Options.ClientName);
        Assert.Equal("RabbitMq", provider.GetRequiredService<IOptions<MessagingOptions>>().Value.Transport);
    }

    [Theory]
    [InlineData("Messaging:RabbitMq:Url", "Messaging:RabbitMq:Url is not a setting: nothing reads it, so it would be ignored. Did you mean Messaging:RabbitMq:Uri?")]
    [InlineData("Messaging:RabbitMq:Tls:ServerNam", "Messaging:RabbitMq:Tls:ServerNam is not a setting: nothing reads it, so it would be ignored. Did you mean Messaging:RabbitMq:Tls:ServerName?")]
    public void A_misspelt_RabbitMq_key_stops_start_up_naming_the_nearest_one_and_never_the_password(string key, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Messaging:Transport", "RabbitMq"), new(key, "amqp://app:s3cr3t@rabbit/")]).Build();

        var ex = Assert.Throws<MessagingConfigurationException>(() => new ServiceCollection().AddMessaging(configuration));

        Assert.Equal(key, ex.Key);
        Assert.Equal(expected, ex.Message);
    }

    [Fact]
    public async Task Messaging_Transport_RabbitMq_binds_the_options_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([
            new("Messaging:Transport", "RabbitMq"),
            new("Messaging:RabbitMq:Uri", "amqp://app:secret@rabbit.example.com:5672/shop"),
            new("Messaging:RabbitMq:QueueType", "Classic"),
            new("Messaging:RabbitMq:ProvisionOnFirstUse", "false"),
            new("Messaging:Retry:MaxAttempts", "3"),
        ]).Build();
        await using var provider = new ServiceCollection().AddMessaging(configuration).BuildServiceProvider();

        var transport = Assert.IsType<RabbitMqTransport>(provider.GetRequiredService<ITransport>());

        Assert.Equal("RabbitMq", transport.Name);
        Assert.Equal("amqp://app:***@rabbit.example.com:5672/shop", transport.Endpoint);
        Assert.Equal(RabbitMqQueueType.Classic, transport.Options.QueueType);
        Assert.False(transport.Options.ProvisionOnFirstUse);
        Assert.Equal(3, transport.Options.DefaultRetry.MaxAttempts);
    }

    [Fact]
    public void Filter_alternatives_become_headers_exchange_bindings()
    {
        Assert.Equal([[]], BindingFilter.Arguments(null));
        var bindings = BindingFilter.Arguments(new SubscriptionFilter
        {
            MessageTypes = ["a", "b"],
            Headers = new Dictionary<string, string> { ["region"] = "eu", ["x-ignored-by-the-broker"] = "1" },
        }).ToList();

        Assert.Equal(2, bindings.Count);
        Assert.All(bindings, b => Assert.Equal("all", b["x-match"]));
        Assert.All(bindings, b => Assert.Equal("eu", b["region"]));
        Assert.All(bindings, b => Assert.False(b.ContainsKey("x-ignored-by-the-broker")));
        Assert.Equal(["a", "b"], bindings.Select(b => (string)b["cloudEvents:type"]!));
    }

    [Fact]
    public void Names_RabbitMQ_reserves_are_refused_naming_the_name()
    {
        var error = Assert.Throws<ArgumentException>(() => TopologyProvisioner.ValidateName("amq.orders", "queue", "queue"));
        Assert.Contains("'amq.orders'", error.Message, StringComparison.Ordinal);
    }
}

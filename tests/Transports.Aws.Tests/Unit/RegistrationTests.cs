using Messaging.Adapters.Aws.Configuration;
using Messaging.Adapters.Aws.Topology;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Messaging.Adapters.Aws.Tests.Unit;

/// <summary>
/// <c>Messaging:Transport=Aws</c> finds the adapter, binds <c>Messaging:Aws:*</c>, and refuses bad options at start-up
/// naming the key; names map onto SQS's and SNS's rules; capabilities differ per destination.
/// </summary>
public sealed class RegistrationTests
{
    static RegistrationTests() => Integration.Transports.Aws.AwsTestEnvironment.Apply();

    [Fact]
    public async Task Messaging_Transport_Aws_is_discovered_and_binds_the_options_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([
            new("Messaging:Transport", "Aws"),
            new("Messaging:Aws:Region", "eu-west-1"),
            new("Messaging:Aws:ServiceUrl", "http://127.0.0.1:4566"),
            new("Messaging:Aws:VisibilityTimeout", "00:01:00"),
            new("Messaging:Aws:ProvisionOnFirstUse", "false"),
            new("Messaging:Retry:MaxAttempts", "3"),
        ]).Build();
        await using var provider = new ServiceCollection().AddMessaging(configuration).BuildServiceProvider();

        var transport = Assert.IsType<AwsTransport>(provider.GetRequiredService<ITransport>());

        Assert.Contains(TransportCatalog.Aws, TransportCatalog.Installed());
        Assert.IsType<AwsTransportRegistration>(TransportCatalog.TryFindRegistration("aws"));
        Assert.Equal("Aws", transport.Name);
        Assert.Equal("SQS http://127.0.0.1:4566/, SNS http://127.0.0.1:4566/, region eu-west-1", transport.Endpoint);
        Assert.Equal(TimeSpan.FromMinutes(1), transport.Options.VisibilityTimeout);
        Assert.False(transport.Options.ProvisionOnFirstUse);
        Assert.Equal(3, transport.Options.DefaultRetry.MaxAttempts);
    }

    [Theory]
    [InlineData("Messaging:Aws:VisibilityTimeout", "00:00:01", "Messaging:Aws:VisibilityTimeout must be 00:00:02..12:00:00, was 00:00:01.")]
    [InlineData("Messaging:Aws:ReceiveWaitTime", "00:00:21", "Messaging:Aws:ReceiveWaitTime must be 00:00:00..00:00:20, was 00:00:21.")]
    [InlineData("Messaging:Aws:MaxMessageSize", "2000000", "Messaging:Aws:MaxMessageSize must be 4096..1048576")]
    [InlineData("Messaging:Aws:Region", "EU West", "Messaging:Aws:Region must be an AWS region name")]
    [InlineData("Messaging:Aws:ServiceUrl", "ftp://x/", "Messaging:Aws:ServiceUrl must be an absolute http:// or https:// URL")]
    [InlineData("Messaging:Aws:MaxReceiveCount", "0", "Messaging:Aws:MaxReceiveCount must be 1..1000, was 0.")]
    [InlineData("Messaging:Aws:Fifo", "true", "Messaging:Aws:Fifo cannot be combined with Messaging:Aws:EventBus", "Messaging:Aws:EventBus", "orders-bus")]
    public void A_bad_option_stops_start_up_naming_the_key(string key, string value, string expected, string? otherKey = null, string? otherValue = null)
    {
        var settings = new List<KeyValuePair<string, string?>> { new("Messaging:Transport", "Aws"), new(key, value) };
        if (otherKey is not null)
        {
            settings.Add(new(otherKey, otherValue));
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddMessaging(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AwsTransportOptions>>().Value);

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelled_key_under_Messaging_Aws_stops_start_up_naming_it_and_the_nearest_one()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Messaging:Transport", "Aws"), new("Messaging:Aws:Regoin", "eu-west-1")]).Build();

        var error = Assert.ThrowsAny<Exception>(() =>
        {
            using var provider = new ServiceCollection().AddMessaging(configuration).BuildServiceProvider();
            _ = provider.GetRequiredService<IOptions<AwsTransportOptions>>().Value;
        });

        Assert.Contains("Messaging:Aws:Regoin", error.Message, StringComparison.Ordinal);
        Assert.Contains("Region", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddAwsTransport_adds_the_transport_in_code()
    {
        var services = new ServiceCollection().AddAwsTransport(o =>
        {
            o.Region = "us-east-1";
            o.ServiceUrl = new Uri("http://127.0.0.1:4566");
        });
        await using var provider = services.BuildServiceProvider();

        Assert.IsType<AwsTransport>(provider.GetRequiredService<ITransport>());
    }

    [Theory]
    [InlineData("orders", "orders")]
    [InlineData("orders.placed.email", "orders-placed-email")]
    [InlineData("orders.placed.email.dead-letter", "orders-placed-email-dead-letter")]
    [InlineData("orders.fifo", "orders.fifo")]
    [InlineData("orders.fifo.dead-letter", "orders-fifo-dead-letter.fifo")]
    [InlineData("prices.fifo.audit", "prices-fifo-audit.fifo")]
    public void Names_map_onto_SQS_and_SNS_names(string name, string physical) => Assert.Equal(physical, AwsNames.Physical(name));

    [Fact]
    public void A_long_name_is_cut_to_80_characters_with_a_hash_of_the_whole()
    {
        var a = new string('a', 120) + ".one";
        var b = new string('a', 120) + ".two";

        Assert.Equal(80, AwsNames.Physical(a).Length);
        Assert.NotEqual(AwsNames.Physical(a), AwsNames.Physical(b));
        Assert.Equal(AwsNames.Physical(a), AwsNames.Physical(a));
        Assert.EndsWith(".fifo", AwsNames.Physical(new string('b', 120) + ".fifo"), StringComparison.Ordinal);
        Assert.Equal(80, AwsNames.Physical(new string('b', 120) + ".fifo").Length);
    }

    [Fact]
    public async Task Only_FIFO_destinations_offer_ordering_by_key_and_a_standard_queue_refuses_it()
    {
        await using var transport = new AwsTransport(new AwsTransportOptions { Region = "us-east-1", ServiceUrl = new Uri("http://127.0.0.1:1") });

        Assert.False(transport.Capabilities.OrderingByKey);
        Assert.False(transport.Capabilities.Streams);
        Assert.True(transport.CapabilitiesOf("orders.fifo").OrderingByKey);
        Assert.True(transport.CapabilitiesOf(DestinationNames.SubscriptionQueue("prices.fifo", "audit")).OrderingByKey);
        Assert.False(transport.CapabilitiesOf("orders").OrderingByKey);
        Assert.Equal(10, transport.Capabilities.MaxBatchEntries);
        Assert.Equal((256 * 1024 - 8 * 1024) / 4 * 3, transport.Capabilities.MaxMessageSize);

        var error = await Assert.ThrowsAsync<CapabilityNotSupportedException>(() =>
            transport.Queue.ConsumeAsync("orders", (_, _) => ValueTask.CompletedTask, new ConsumerOptions { Ordering = MessageOrdering.ByKey }, TestContext.Current.CancellationToken));
        Assert.Equal(nameof(TransportCapabilities.OrderingByKey), error.Capability);
        await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => transport.Stream.AppendAsync("s", new Envelope("t", "b"u8.ToArray()), TestContext.Current.CancellationToken).AsTask());
    }

    [Fact]
    public async Task With_Fifo_every_destination_is_FIFO_and_offers_ordering_by_key()
    {
        await using var transport = new AwsTransport(new AwsTransportOptions { Region = "us-east-1", ServiceUrl = new Uri("http://127.0.0.1:1"), Fifo = true });

        Assert.True(transport.Capabilities.OrderingByKey);
        Assert.True(transport.CapabilitiesOf("orders").OrderingByKey);
        Assert.True(transport.CapabilitiesOf(DestinationNames.SubscriptionQueue("prices", "audit")).OrderingByKey);
        Assert.Equal("orders.fifo", AwsNames.Physical("orders", fifo: true));
        Assert.Equal("orders-dead-letter.fifo", AwsNames.Physical(DestinationNames.DeadLetterQueue("orders"), fifo: true));
        Assert.Equal("prices-audit.fifo", AwsNames.Physical(DestinationNames.SubscriptionQueue("prices", "audit"), fifo: true));
        Assert.Equal(80, AwsNames.Physical(new string('c', 120), fifo: true).Length);
    }
}

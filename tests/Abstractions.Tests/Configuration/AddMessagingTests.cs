using Acme.Messaging.Nats;
using Messaging.Adapters.InMemory;
using Messaging.Adapters.InMemory.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Messaging.Adapters.Tests.Configuration;

public sealed class AddMessagingTests
{
    [Fact]
    public void An_unknown_transport_name_fails_naming_the_key_the_value_and_the_available_transports()
    {
        var configuration = Configuration(("Messaging:Transport", "Nope"));

        var ex = Assert.Throws<MessagingConfigurationException>(() => new ServiceCollection().AddMessaging(configuration));

        Assert.Equal("Messaging:Transport", ex.Key);
        Assert.Equal(
            "Messaging:Transport is 'Nope', which is not a transport installed or added with AddMessagingTransport. Available transports: InMemory, Nats.",
            ex.Message);
    }

    [Theory]
    [InlineData("RabitMq", "RabbitMq")]
    [InlineData("Kafak", "Kafka")]
    [InlineData("InMemroy", "InMemory")]
    [InlineData("Rabbit", "RabbitMq")]
    [InlineData("InMemoryTransport", "InMemory")]
    [InlineData("nast", "Nats")]
    public void An_unknown_transport_name_close_to_a_known_one_suggests_it(string requested, string nearest)
    {
        var ex = Assert.Throws<MessagingConfigurationException>(() => new ServiceCollection().AddMessaging(Configuration(("Messaging:Transport", requested))));

        Assert.Equal("Messaging:Transport", ex.Key);
        Assert.EndsWith($"Available transports: InMemory, Nats. Did you mean '{nearest}'?", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Kafka")]
    [InlineData("kafka")]
    [InlineData("RabbitMq")]
    [InlineData("Aws")]
    public void A_known_transport_whose_package_is_missing_fails_naming_the_package_and_the_available_transports(string requested)
    {
        var configuration = Configuration(("Messaging:Transport", requested));
        var canonical = TransportCatalog.Names.Single(n => string.Equals(n, requested, StringComparison.OrdinalIgnoreCase));

        var ex = Assert.Throws<MessagingConfigurationException>(() => new ServiceCollection().AddMessaging(configuration));

        Assert.Equal("Messaging:Transport", ex.Key);
        Assert.Equal(
            $"Messaging:Transport is '{canonical}', but its adapter package Messaging.Adapters.{canonical} is not installed. " +
            "Install it, or set Messaging:Transport to an available transport: InMemory, Nats.",
            ex.Message);
    }

    [Fact]
    public void The_in_memory_transport_and_the_third_party_Nats_adapter_are_installed_in_this_test_application()
    {
        Assert.Equal([TransportCatalog.InMemory, "Nats"], TransportCatalog.Installed());
        Assert.IsType<InMemoryTransportRegistration>(TransportCatalog.TryFindRegistration("inMemory"));
        Assert.Equal("Nats", TransportCatalog.TryFindRegistration("NATS")?.Name);
        Assert.Null(TransportCatalog.TryFindRegistration(TransportCatalog.Kafka));
    }

    [Theory]
    [InlineData("nats")]
    [InlineData(" NATS ")]
    public async Task An_installed_third_party_adapter_is_selected_by_name_and_given_its_own_section(string requested)
    {
        var configuration = Configuration(("Messaging:Transport", requested), ("Messaging:Nats:Url", "nats://broker:4222"));
        await using var provider = new ServiceCollection().AddMessaging(configuration).BuildServiceProvider();

        Assert.Equal(new NatsSettings("Messaging:Nats", "nats://broker:4222"), provider.GetRequiredService<NatsSettings>());
        Assert.Equal("Nats", provider.GetRequiredService<IOptions<MessagingOptions>>().Value.Transport);
    }

    [Theory]
    [InlineData("inmemory")]
    [InlineData("INMEMORY")]
    [InlineData("  InMemory ")]
    public async Task The_transport_name_is_case_insensitive_and_trimmed(string requested)
    {
        await using var provider = new ServiceCollection().AddMessaging(Configuration(("Messaging:Transport", requested))).BuildServiceProvider();

        Assert.IsType<InMemoryTransport>(provider.GetRequiredService<ITransport>());
        Assert.Equal(TransportCatalog.InMemory, provider.GetRequiredService<IOptions<MessagingOptions>>().Value.Transport);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Without_a_transport_name_and_several_transports_installed_start_up_fails_listing_them(string? requested)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            requested is null ? [] : [new KeyValuePair<string, string?>("Messaging:Transport", requested)]).Build();

        var ex = Assert.Throws<MessagingConfigurationException>(() => new ServiceCollection().AddMessaging(configuration));

        Assert.Equal("Messaging:Transport", ex.Key);
        Assert.StartsWith("Messaging:Transport is not set, and several transports are available: InMemory, Nats. Set Messaging:Transport to the one to use", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_transport_name_the_only_transport_available_is_used()
    {
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection().AddMessagingTransport<InMemoryTransportRegistration>();

        await using var provider = services.AddMessagingWithoutDiscovery(configuration).BuildServiceProvider();

        Assert.Equal(TransportCatalog.InMemory, provider.GetRequiredService<ITransport>().Name);
        Assert.Equal(TransportCatalog.InMemory, provider.GetRequiredService<IOptions<MessagingOptions>>().Value.Transport);
    }

    [Theory]
    [InlineData("Messaging:Transprot", "RabbitMq", "Messaging:Transprot is not a setting: nothing reads it, so it would be ignored. Did you mean Messaging:Transport?")]
    [InlineData("Messaging:Rabbit:Uri", "amqp://app:secret@rabbit/", "Messaging:Rabbit is not a setting: nothing reads it, so it would be ignored. Did you mean Messaging:RabbitMq?")]
    [InlineData("Messaging:InMemory:MaxMesageSize", "10", "Messaging:InMemory:MaxMesageSize is not a setting: nothing reads it, so it would be ignored. Did you mean Messaging:InMemory:MaxMessageSize?")]
    [InlineData("Messaging:Retry:MaxAttempt", "3", "Messaging:Retry:MaxAttempt is not a setting: nothing reads it, so it would be ignored. Did you mean Messaging:Retry:MaxAttempts?")]
    public void An_unknown_key_under_Messaging_stops_start_up_naming_it_and_the_nearest_known_one(string key, string value, string expected)
    {
        var ex = Assert.Throws<MessagingConfigurationException>(() => new ServiceCollection().AddMessaging(Configuration((key, value))));

        Assert.Equal(expected.Split(' ')[0], ex.Key);
        Assert.Equal(expected, ex.Message);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sections_of_other_known_transports_and_nested_options_are_not_unknown_keys()
    {
        var configuration = Configuration(
            ("Messaging:Kafka:BootstrapServers", "localhost:9092"),
            ("Messaging:Nats:Url", "nats://localhost"),
            ("Messaging:Retry:MaxAttempts", "3"),
            ("Messaging:InMemory:MaxMessageSize", "1000"));

        new ServiceCollection().AddMessaging(configuration);
    }

    [Fact]
    public async Task Every_service_resolves_and_the_contract_services_are_the_transports_own()
    {
        await using var provider = new ServiceCollection().AddMessaging(Configuration()).BuildServiceProvider();

        var transport = provider.GetRequiredService<ITransport>();

        Assert.Same(transport.Publisher, provider.GetRequiredService<IPublisher>());
        Assert.Same(transport.Subscriber, provider.GetRequiredService<ISubscriber>());
        Assert.Same(transport.Queue, provider.GetRequiredService<IQueue>());
        Assert.Same(transport.Stream, provider.GetRequiredService<IStream>());
        Assert.Same(transport.Topology, provider.GetRequiredService<ITopology>());
        Assert.Same(provider.GetRequiredService<MessageCodec>(), provider.GetRequiredService<MessageCodec>());
        Assert.IsType<InMemoryIdempotencyStore>(provider.GetRequiredService<IIdempotencyStore>());
        Assert.Same(transport, provider.GetRequiredService<ITransport>());
    }

    [Fact]
    public async Task Services_registered_before_AddMessaging_are_kept()
    {
        var store = new InMemoryIdempotencyStore(TimeSpan.FromMinutes(5));
        var codec = new MessageCodec(types: new MessageTypeMap().Map<InvoiceIssued>("invoice.issued"));
        var services = new ServiceCollection().AddSingleton<IIdempotencyStore>(store).AddSingleton(codec);

        await using var provider = services.AddMessaging(Configuration()).BuildServiceProvider();

        Assert.Same(store, provider.GetRequiredService<IIdempotencyStore>());
        Assert.Same(codec, provider.GetRequiredService<MessageCodec>());
    }

    [Fact]
    public async Task The_messaging_options_and_the_transport_options_are_bound_from_their_sections()
    {
        var configuration = Configuration(
            ("Messaging:ShutdownTimeout", "00:00:42"),
            ("Messaging:Retry:MaxAttempts", "7"),
            ("Messaging:Retry:ImmediateRetries", "0"),
            ("Messaging:Retry:InitialDelay", "00:00:03"),
            ("Messaging:Retry:BackoffMultiplier", "1.5"),
            ("Messaging:Retry:MaxDelay", "00:02:00"),
            ("Messaging:InMemory:MaxMessageSize", "4096"));
        await using var provider = new ServiceCollection().AddMessaging(configuration).BuildServiceProvider();

        var messaging = provider.GetRequiredService<IOptions<MessagingOptions>>().Value;
        var transport = provider.GetRequiredService<ITransport>();
        var defaultRetry = provider.GetRequiredService<IOptions<InMemoryTransportOptions>>().Value.DefaultRetry;

        Assert.Equal(TimeSpan.FromSeconds(42), messaging.ShutdownTimeout);
        Assert.Equal(
            new RetryPolicy { MaxAttempts = 7, ImmediateRetries = 0, InitialDelay = TimeSpan.FromSeconds(3), BackoffMultiplier = 1.5, MaxDelay = TimeSpan.FromMinutes(2) },
            defaultRetry);
        Assert.Equal(4096, transport.Capabilities.MaxMessageSize);
    }

    /// <summary>The configuration; <c>Messaging:Transport</c> is <c>InMemory</c> unless the values name it (this test
    /// application has two transports installed, so an unset name is an error).</summary>
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Prepend((Key: "Messaging:Transport", Value: "InMemory")).Where((v, i) => i > 0 || !values.Any(x => x.Key == "Messaging:Transport")).Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}

using Acme.Messaging.Nats;
using Messaging.Adapters.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Messaging.Adapters.Tests.Configuration;

/// <summary>Transports added in code with <c>AddMessagingTransport</c>, as a third party's adapter or a trimmed application does.</summary>
public sealed class AddMessagingTransportTests
{
    [Theory]
    [InlineData("Mqtt")]
    [InlineData("mqtt")]
    [InlineData(" MQTT ")]
    public async Task A_third_party_transport_added_in_code_is_selected_by_AddMessaging(string requested)
    {
        var configuration = Configuration(("Messaging:Transport", requested), ("Messaging:Mqtt:Broker", "mqtt://edge:1883"));
        var services = new ServiceCollection().AddMessagingTransport<MqttTransportRegistration>();

        await using var provider = services.AddMessaging(configuration).BuildServiceProvider();

        Assert.Equal(new MqttSettings("Messaging:Mqtt", "mqtt://edge:1883"), provider.GetRequiredService<MqttSettings>());
        Assert.Equal("Mqtt", provider.GetRequiredService<IOptions<MessagingOptions>>().Value.Transport);
    }

    [Fact]
    public async Task AddMessagingWithoutDiscovery_selects_a_transport_added_in_code()
    {
        var configuration = Configuration(("Messaging:Transport", "mqtt"), ("Messaging:Mqtt:Broker", "mqtt://edge:1883"));
        var services = new ServiceCollection().AddMessagingTransport(new MqttTransportRegistration());

        await using var provider = services.AddMessagingWithoutDiscovery(configuration).BuildServiceProvider();

        Assert.Equal(new MqttSettings("Messaging:Mqtt", "mqtt://edge:1883"), provider.GetRequiredService<MqttSettings>());
    }

    [Fact]
    public void AddMessagingWithoutDiscovery_does_not_look_for_installed_adapters()
    {
        var services = new ServiceCollection().AddMessagingTransport<MqttTransportRegistration>();

        var ours = Assert.Throws<MessagingConfigurationException>(() => services.AddMessagingWithoutDiscovery(Configuration(("Messaging:Transport", "InMemory"))));
        var theirs = Assert.Throws<MessagingConfigurationException>(() => services.AddMessagingWithoutDiscovery(Configuration(("Messaging:Transport", "Nats"))));

        Assert.Equal("Messaging:Transport", ours.Key);
        Assert.Equal(
            "Messaging:Transport is 'InMemory', but it was not added with AddMessagingTransport, and AddMessagingWithoutDiscovery looks no further. " +
            "Add the registration from its adapter package Messaging.Adapters.InMemory, or set Messaging:Transport to an added transport: Mqtt.",
            ours.Message);
        Assert.Equal("Messaging:Transport", theirs.Key);
        Assert.Equal("Messaging:Transport is 'Nats', which is not a transport added with AddMessagingTransport. Available transports: Mqtt.", theirs.Message);
    }

    [Fact]
    public async Task A_transport_added_in_code_wins_over_an_installed_adapter_of_the_same_name()
    {
        var services = new ServiceCollection().AddMessagingTransport(new MqttTransportRegistration("Nats"));

        await using var provider = services.AddMessaging(Configuration(("Messaging:Transport", "nats"))).BuildServiceProvider();

        Assert.Equal("Messaging:Nats", provider.GetRequiredService<MqttSettings>().SectionPath);
        Assert.Null(provider.GetService<NatsSettings>());
    }

    [Fact]
    public async Task Transports_added_in_code_join_the_installed_ones_in_the_error_and_leave_them_selectable()
    {
        var services = new ServiceCollection().AddMessagingTransport<MqttTransportRegistration>();

        var ex = Assert.Throws<MessagingConfigurationException>(() => services.AddMessaging(Configuration(("Messaging:Transport", "Mqt"))));

        Assert.EndsWith("Available transports: InMemory, Mqtt, Nats. Did you mean 'Mqtt'?", ex.Message, StringComparison.Ordinal);
        await using var provider = services.AddMessaging(Configuration(("Messaging:Transport", "InMemory"))).BuildServiceProvider();
        Assert.IsType<InMemoryTransport>(provider.GetRequiredService<ITransport>());
    }

    [Fact]
    public void Adding_the_same_registration_type_twice_adds_it_once()
    {
        var services = new ServiceCollection()
            .AddMessagingTransport<MqttTransportRegistration>()
            .AddMessagingTransport<MqttTransportRegistration>();

        Assert.Single(services, d => d.ServiceType == typeof(ITransportRegistration));
    }

    [Fact]
    public void Another_registration_under_a_name_already_added_is_refused()
    {
        var services = new ServiceCollection().AddMessagingTransport<MqttTransportRegistration>();

        var ex = Assert.Throws<InvalidOperationException>(() => services.AddMessagingTransport(new OtherRegistration("MQTT")));

        Assert.Contains("Transport 'MQTT' is already added by " + typeof(MqttTransportRegistration).FullName, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transport_added_after_AddMessaging_is_refused_because_the_transport_is_already_chosen()
    {
        var services = new ServiceCollection().AddInMemoryTransport();

        var ex = Assert.Throws<InvalidOperationException>(() => services.AddMessagingTransport<MqttTransportRegistration>());

        Assert.StartsWith("AddMessagingTransport for 'Mqtt' must be called before AddMessaging", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void A_registration_without_a_name_is_refused(string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddMessagingTransport(new OtherRegistration(name)));

        Assert.Equal("registration", ex.ParamName);
    }

    [Fact]
    public async Task AddInMemoryTransport_still_adds_the_in_memory_transport_whatever_else_was_added()
    {
        await using var provider = new ServiceCollection()
            .AddMessagingTransport<MqttTransportRegistration>()
            .AddInMemoryTransport(o => o.MaxMessageSize = 1234)
            .BuildServiceProvider();

        Assert.Equal(1234, Assert.IsType<InMemoryTransport>(provider.GetRequiredService<ITransport>()).Capabilities.MaxMessageSize);
        Assert.Null(provider.GetService<MqttSettings>());
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    /// <summary>A third party's registration that no assembly attribute announces: reachable only when added in code.</summary>
    private sealed class MqttTransportRegistration(string name) : ITransportRegistration
    {
        public MqttTransportRegistration()
            : this("Mqtt")
        {
        }

        public string Name { get; } = name;

        public void Register(IServiceCollection services, IConfiguration section) =>
            services.AddSingleton(new MqttSettings((section as IConfigurationSection)?.Path, section["Broker"]));
    }

    private sealed class OtherRegistration(string name) : ITransportRegistration
    {
        public string Name => name;

        public void Register(IServiceCollection services, IConfiguration section) => throw new InvalidOperationException("Never selected in these tests.");
    }

    private sealed record MqttSettings(string? SectionPath, string? Broker);
}

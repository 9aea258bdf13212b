using Acme.Messaging.Nats;
using Messaging.Adapters;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

[assembly: MessagingTransport(typeof(NatsTransportRegistration))]

namespace Acme.Messaging.Nats;

/// <summary>Registers the fake "Nats" transport: only its settings, which is all the discovery tests look at.</summary>
public sealed class NatsTransportRegistration : ITransportRegistration
{
    /// <inheritdoc />
    public string Name => "Nats";

    /// <inheritdoc />
    public void Register(IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddSingleton(new NatsSettings((section as IConfigurationSection)?.Path, section["Url"]));
    }
}

/// <summary>What the fake transport read from its configuration section.</summary>
/// <param name="SectionPath">The section it was given.</param>
/// <param name="Url">Its <c>Url</c> key.</param>
public sealed record NatsSettings(string? SectionPath, string? Url);

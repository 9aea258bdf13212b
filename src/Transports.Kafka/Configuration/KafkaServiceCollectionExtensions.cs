using Messaging.Adapters;
using Messaging.Adapters.Kafka;
using Messaging.Adapters.Kafka.Configuration;
using Microsoft.Extensions.Configuration;

#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>
/// Adds the Kafka transport in code, without <c>Messaging:Transport</c>.
/// </summary>
public static class KafkaServiceCollectionExtensions
{
    /// <summary>Adds Messaging.Adapters on the Kafka transport, with the <c>Messaging</c> services that
    /// <c>AddMessaging</c> registers. No assembly is searched: the transport is added in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the transport's options.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddKafkaTransport(this IServiceCollection services, Action<KafkaTransportOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddMessagingOn<KafkaTransportRegistration>();
        services.Configure(configure);
        return services;
    }

    /// <summary>Adds Messaging.Adapters on the Kafka transport with its options read from a configuration section
    /// (the keys of <c>Messaging:Kafka</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The section holding <c>BootstrapServers</c>, <c>Partitions</c>, ...</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddKafkaTransport(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddMessagingOn<KafkaTransportRegistration>();
        services.AddOptions<KafkaTransportOptions>().Bind(section);
        return services;
    }
}

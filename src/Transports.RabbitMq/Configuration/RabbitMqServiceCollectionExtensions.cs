using Messaging.Adapters;
using Messaging.Adapters.RabbitMq;
using Messaging.Adapters.RabbitMq.Configuration;
using Microsoft.Extensions.Configuration;

#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>
/// Adds the RabbitMQ transport in code, without <c>Messaging:Transport</c>.
/// </summary>
public static class RabbitMqServiceCollectionExtensions
{
    /// <summary>Adds Messaging.Adapters on the RabbitMQ transport, with the <c>Messaging</c> services that
    /// <c>AddMessaging</c> registers (publisher, subscriber, queues, streams, topology, codec, idempotency store, hosted consumers).
    /// No assembly is searched: the transport is added in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the transport's options; <see cref="RabbitMqTransportOptions.Uri"/> defaults to the local broker.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddRabbitMqTransport(this IServiceCollection services, Action<RabbitMqTransportOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddMessagingOn<RabbitMqTransportRegistration>();
        services.Configure(configure);
        return services;
    }

    /// <summary>Adds Messaging.Adapters on the RabbitMQ transport with its options read from a configuration section
    /// (the keys of <c>Messaging:RabbitMq</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The section holding <c>Uri</c>, <c>QueueType</c>, ...</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddRabbitMqTransport(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddMessagingOn<RabbitMqTransportRegistration>();
        services.AddOptions<RabbitMqTransportOptions>().Bind(section);
        return services;
    }
}

using Messaging.Adapters;
using Messaging.Adapters.InMemory;
using Messaging.Adapters.InMemory.Configuration;
using Microsoft.Extensions.Configuration;

#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>
/// Adds the in-memory transport in code, without <c>Messaging:Transport</c>.
/// </summary>
public static class InMemoryServiceCollectionExtensions
{
    /// <summary>Adds Messaging.Adapters on the in-memory transport, with the <c>Messaging</c> services that
    /// <c>AddMessaging</c> registers (publisher, subscriber, queues, streams, topology, codec, idempotency store, hosted consumers).
    /// No assembly is searched: the transport is added in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the transport's options; <see langword="null"/> for the defaults.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddInMemoryTransport(this IServiceCollection services, Action<InMemoryTransportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMessagingOn<InMemoryTransportRegistration>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        return services;
    }
}

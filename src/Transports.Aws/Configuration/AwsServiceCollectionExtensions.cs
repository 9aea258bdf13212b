using Messaging.Adapters;
using Messaging.Adapters.Aws;
using Messaging.Adapters.Aws.Configuration;
using Microsoft.Extensions.Configuration;

#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>
/// Adds the AWS transport in code, without <c>Messaging:Transport</c>.
/// </summary>
public static class AwsServiceCollectionExtensions
{
    /// <summary>Adds Messaging.Adapters on the AWS transport, with the <c>Messaging</c> services that <c>AddMessaging</c>
    /// registers. No assembly is searched: the transport is added in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the transport's options; region, endpoint and credentials default to AWS's chain.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddAwsTransport(this IServiceCollection services, Action<AwsTransportOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddMessagingOn<AwsTransportRegistration>();
        services.Configure(configure);
        return services;
    }

    /// <summary>Adds Messaging.Adapters on the AWS transport with its options read from a configuration section (the
    /// keys of <c>Messaging:Aws</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The section holding <c>Region</c>, <c>ServiceUrl</c>, ...</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddAwsTransport(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddMessagingOn<AwsTransportRegistration>();
        services.AddOptions<AwsTransportOptions>().Bind(section);
        return services;
    }
}

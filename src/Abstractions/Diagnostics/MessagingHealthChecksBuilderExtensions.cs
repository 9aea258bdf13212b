using Messaging.Adapters.Diagnostics;
using Messaging.Adapters.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Health checks of the messaging transport and the hosted consumers, for <c>services.AddHealthChecks()</c>.
/// </summary>
public static class MessagingHealthChecksBuilderExtensions
{
    /// <summary>The tag of both checks.</summary>
    public const string Tag = "messaging";

    /// <summary>The tag of the checks that say whether the service should get traffic (both).</summary>
    public const string ReadyTag = "ready";

    /// <summary>The tag of the check that says whether the process should be restarted (the consumers only: a
    /// broker outage is not cured by restarting the process).</summary>
    public const string LiveTag = "live";

    /// <summary>Adds <c>messaging-transport</c> (tags <c>messaging</c>, <c>ready</c>: unhealthy while the broker is
    /// unreachable) and <c>messaging-consumers</c> (tags <c>messaging</c>, <c>ready</c>, <c>live</c>: degraded while a
    /// failed consumer waits for its restart, unhealthy when one failed for good).</summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddMessaging(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<HostedConsumerStatus>();
        builder.Add(new HealthCheckRegistration("messaging-transport", sp => ActivatorUtilities.CreateInstance<TransportHealthCheck>(sp), HealthStatus.Unhealthy, [Tag, ReadyTag]));
        builder.Add(new HealthCheckRegistration("messaging-consumers", sp => ActivatorUtilities.CreateInstance<ConsumersHealthCheck>(sp), HealthStatus.Unhealthy, [Tag, ReadyTag, LiveTag]));
        return builder;
    }
}

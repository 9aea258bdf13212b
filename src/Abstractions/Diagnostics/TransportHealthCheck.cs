using Messaging.Adapters.Transport;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messaging.Adapters.Diagnostics;

/// <summary>
/// <c>messaging-transport</c>: unhealthy while the transport cannot reach its broker (<see cref="ITransportHealth"/>),
/// healthy otherwise; a transport that cannot tell is healthy, with a description that says so.
/// </summary>
internal sealed class TransportHealthCheck(ITransport transport) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["transport"] = transport.Name };
        if (transport is not ITransportHealth reporting)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"The {transport.Name} transport does not report its broker's reachability.", data));
        }

        var health = reporting.CurrentHealth;
        return Task.FromResult(health.IsReachable
            ? HealthCheckResult.Healthy(health.Description, data)
            : new HealthCheckResult(context.Registration.FailureStatus, health.Description, data: data));
    }
}

using Messaging.Adapters.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messaging.Adapters.Diagnostics;

/// <summary>
/// <c>messaging-consumers</c>: the hosted consumers (<c>AddSubscription</c>, <c>AddQueueConsumer</c>,
/// <c>AddStreamReader</c>). Healthy while every one runs; degraded while one that failed waits for its restart
/// (<c>Messaging:ConsumerFailure = Restart</c>); unhealthy when one failed for good, or before they started.
/// </summary>
internal sealed class ConsumersHealthCheck(HostedConsumerStatus status) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var consumers = status.Snapshot();
        var data = consumers.ToDictionary(c => c.Consumer, c => (object)(c.Error is null ? c.State.ToString() : $"{c.State}: {c.Error}"));
        if (!status.Started)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, "The hosted consumers have not started (or have stopped).", data: data));
        }

        var failed = consumers.Where(c => c.State == ConsumerState.Failed).Select(c => c.Consumer).ToList();
        if (failed.Count > 0)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, $"Failed and not restarted: {string.Join(", ", failed)}.", data: data));
        }

        var restarting = consumers.Where(c => c.State == ConsumerState.Restarting).Select(c => c.Consumer).ToList();
        return Task.FromResult(restarting.Count > 0
            ? HealthCheckResult.Degraded($"Failed, restarting: {string.Join(", ", restarting)}.", data: data)
            : HealthCheckResult.Healthy($"{consumers.Count} consumer(s) running.", data));
    }
}

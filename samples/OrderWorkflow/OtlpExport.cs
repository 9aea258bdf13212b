using Messaging.Adapters;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OrderWorkflow;

/// <summary>
/// Sends the library's traces and metrics to an OpenTelemetry collector when one is configured the standard way:
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (and optionally <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_EXPORTER_OTLP_HEADERS</c>),
/// in the environment or in any configuration source. Without it nothing is exported and nothing is added.
/// </summary>
/// <remarks>This is the application's side: the libraries only write to <see cref="MessagingTelemetry.Name"/> with
/// System.Diagnostics, and it is the application that subscribes (<c>AddSource</c>, <c>AddMeter</c>) and picks an
/// exporter. The exporter reads the <c>OTEL_*</c> settings itself; the host flushes what is pending when it is disposed,
/// so a short run such as this sample loses nothing.</remarks>
internal static class OtlpExport
{
    /// <summary>The standard setting that turns the export on.</summary>
    public const string EndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The service name the spans and metrics carry, unless <c>OTEL_SERVICE_NAME</c> says otherwise.</summary>
    public const string ServiceName = "order-workflow";

    /// <summary>Adds the export when <see cref="EndpointSetting"/> is set; returns whether it did.</summary>
    public static bool AddWhenConfigured(IServiceCollection services, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration[EndpointSetting]))
        {
            return false;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithTracing(tracing => tracing.AddSource(MessagingTelemetry.Name).AddOtlpExporter())
            .WithMetrics(metrics => metrics.AddMeter(MessagingTelemetry.Name).AddOtlpExporter());
        return true;
    }
}

namespace Messaging.Adapters.Tests.Telemetry;

/// <summary>The telemetry tests attach process-wide listeners, and one of them checks what happens with none: they
/// run one at a time and alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Telemetry";
}

namespace Messaging.Adapters.Benchmarks.Pipelines;

/// <summary>
/// A producer → one consumer pipeline under measurement.
/// </summary>
internal interface IPipeline
{
    string Name { get; }

    /// <summary>Sets the pipeline up (not measured): a consumer is waiting when this returns.</summary>
    Task<IPipelineRun> StartAsync(Scenario scenario, DeliveryRecorder recorder);
}

/// <summary>
/// One set-up pipeline: produce (measured), then dispose (not measured).
/// </summary>
internal interface IPipelineRun : IAsyncDisposable
{
    /// <summary>Creates and hands over every message of the scenario; returns when the last one was handed over
    /// (not when it was handled).</summary>
    Task ProduceAsync();
}

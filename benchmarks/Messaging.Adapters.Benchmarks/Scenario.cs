namespace Messaging.Adapters.Benchmarks;

/// <summary>How the producer hands messages over.</summary>
internal enum PublishMode
{
    /// <summary>One message per call, each call awaited before the next (<c>PublishAsync</c> / <c>WriteAsync</c>).</summary>
    AwaitEach,

    /// <summary>Messages in batches (<c>PublishBatchAsync</c>; the raw channel writes the batch in a loop).</summary>
    Batched,

    /// <summary>One message in flight: the next is handed over only after the previous one was handled, so latency
    /// is the hop itself, without queueing behind earlier messages.</summary>
    OneInFlight,
}

/// <summary>One cell of the matrix: payload size and publish mode, with the run's size.</summary>
internal sealed record Scenario(int PayloadSize, PublishMode Mode, int Messages, int BatchSize, int MaxInFlight)
{
    public string ModeName => Mode switch
    {
        PublishMode.AwaitEach => "await-each",
        PublishMode.Batched => $"batched ({BatchSize})",
        _ => "1 in flight",
    };
}

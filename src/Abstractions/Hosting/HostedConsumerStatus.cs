namespace Messaging.Adapters.Hosting;

/// <summary>
/// The state of every consumer the hosted service runs, kept for the health check <c>messaging-consumers</c>: running,
/// failed and waiting for its restart, or failed for good.
/// </summary>
internal sealed class HostedConsumerStatus
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _consumers = new(StringComparer.Ordinal);

    /// <summary>Whether the hosted service has started its consumers (before that there is nothing to report).</summary>
    public bool Started { get; private set; }

    public void Running(string consumer)
    {
        lock (_gate)
        {
            Started = true;
            _consumers[consumer] = new Entry(ConsumerState.Running, null);
        }
    }

    public void Failed(string consumer, Exception error, bool restarting)
    {
        lock (_gate)
        {
            _consumers[consumer] = new Entry(restarting ? ConsumerState.Restarting : ConsumerState.Failed, error.Message);
        }
    }

    public void StoppedAll()
    {
        lock (_gate)
        {
            _consumers.Clear();
            Started = false;
        }
    }

    public IReadOnlyList<(string Consumer, ConsumerState State, string? Error)> Snapshot()
    {
        lock (_gate)
        {
            return [.. _consumers.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, c.Value.State, c.Value.Error))];
        }
    }

    private sealed record Entry(ConsumerState State, string? Error);
}

/// <summary>Where a hosted consumer is.</summary>
internal enum ConsumerState
{
    /// <summary>Receiving and handling.</summary>
    Running,

    /// <summary>Ended with an error; started again after <c>Messaging:ConsumerRestartDelay</c>.</summary>
    Restarting,

    /// <summary>Ended with an error and not started again (the host is told to stop).</summary>
    Failed,
}

namespace Messaging.Adapters.Kafka.Consuming;

/// <summary>Wakes a consumer's poll thread early from its idle wait (a receive request arrived, a message was
/// released, the consumer stops). A signal given while the thread is busy is kept for its next wait.</summary>
internal sealed class PollSignal
{
    private readonly object _gate = new();
    private bool _signalled;

    public void Set()
    {
        lock (_gate)
        {
            _signalled = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits until signalled or <paramref name="timeout"/> passes, then clears the signal.</summary>
    public void Wait(TimeSpan timeout)
    {
        lock (_gate)
        {
            if (!_signalled)
            {
                Monitor.Wait(_gate, timeout);
            }

            _signalled = false;
        }
    }
}

namespace Messaging.Adapters.Kafka.Consuming;

/// <summary>One <c>ReceiveAsync</c> call waiting for the poll thread: at most <see cref="MaxCount"/> deliveries, handed
/// over whole or not at all (a cancelled request gets nothing, so no delivery is half handed over).</summary>
internal sealed class PullRequest(int maxCount, List<KafkaDelivery> into)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();

    public int MaxCount { get; } = maxCount;

    public Task Done => _done.Task;

    public bool IsOpen => !_done.Task.IsCompleted;

    /// <summary>Hands the deliveries over; false when the request was cancelled first.</summary>
    public bool TryComplete(List<KafkaDelivery> deliveries)
    {
        lock (_gate)
        {
            if (_done.Task.IsCompleted)
            {
                return false;
            }

            into.AddRange(deliveries);
            _done.SetResult();
            return true;
        }
    }

    public void Cancel(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _done.TrySetCanceled(cancellationToken);
        }
    }
}

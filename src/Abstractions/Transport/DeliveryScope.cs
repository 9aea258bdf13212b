namespace Messaging.Adapters.Transport;

/// <summary>
/// The deliveries an adapter received through one broker session (an AMQP channel, a Kafka partition assignment,
/// the lifetime of an in-memory consumer): their handlers are cancelled together, and the adapter can wait until all
/// of them are settled before the session's resources go away (see <see cref="IDeliverySink{TDelivery}.EndScopeAsync"/>).
/// </summary>
/// <remarks>Created with <see cref="IDeliverySink{TDelivery}.CreateScope"/>. Thread safe.</remarks>
public sealed class DeliveryScope : IDisposable
{
    private readonly CancellationTokenSource _handlers;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _settled;
    private int _outstanding;
    private string? _endReason;

    internal DeliveryScope(string name, CancellationToken consumerCancellation)
    {
        Name = name;
        _handlers = CancellationTokenSource.CreateLinkedTokenSource(consumerCancellation);
    }

    /// <summary>What the scope is, for logs (for example a channel or a partition).</summary>
    public string Name { get; }

    /// <summary>The token the handlers of this scope's deliveries get: cancelled when the consumer cancels its
    /// handlers or when the scope ends with its handlers cancelled.</summary>
    public CancellationToken HandlerCancellation => _handlers.Token;

    /// <summary>Whether the scope has ended: its deliveries can no longer be settled on the broker session they came
    /// from, and new ones are released at once.</summary>
    public bool IsEnded => _ended.Task.IsCompleted;

    /// <summary>Completes when the scope ends; adapters wait on it to notice a lost session.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Why the scope ended, once it has.</summary>
    public string? EndReason => Volatile.Read(ref _endReason);

    /// <summary>Marks the scope ended (the broker session is gone or going); the first reason is kept.</summary>
    /// <param name="reason">Why, for logs.</param>
    public void End(string reason)
    {
        Interlocked.CompareExchange(ref _endReason, reason, null);
        _ended.TrySetResult();
    }

    /// <summary>Releases the cancellation source.</summary>
    public void Dispose() => _handlers.Dispose();

    internal void Enter() => Interlocked.Increment(ref _outstanding);

    internal void Exit()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0 && Volatile.Read(ref _settled) is { } settled)
        {
            settled.TrySetResult();
        }
    }

    internal Task CancelHandlersAsync() => _handlers.CancelAsync();

    /// <summary>Completes when no delivery of the scope is outstanding.</summary>
    internal Task WhenSettled()
    {
        var settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Publish the signal before reading the count (both full fences), so an Exit that reaches zero between the
        // two is seen by one side or the other.
        var current = Interlocked.CompareExchange(ref _settled, settled, null) ?? settled;
        if (Interlocked.CompareExchange(ref _outstanding, 0, 0) == 0)
        {
            current.TrySetResult();
        }

        return current.Task;
    }
}

namespace Messaging.Adapters;

/// <summary>
/// <see cref="DeadLetterRedrive.StartAsync"/>'s consumer: redrive runs one after the other until stopped. A run ends
/// when no letter came for a while (the next starts at once) or when a letter it kept came round again (the next
/// starts after <see cref="PauseAfterKept"/>, so kept letters are not put back in a tight loop).
/// </summary>
internal sealed class RedriveLoop : IConsumer
{
    /// <summary>How long the loop waits before a new run after one that met a letter it had kept.</summary>
    internal static readonly TimeSpan PauseAfterKept = TimeSpan.FromSeconds(10);

    private static readonly DeadLetterRedriveOptions RunOptions = new() { IdleTimeout = TimeSpan.FromSeconds(10) };

    private readonly IQueue _queue;
    private readonly string _deadLetterQueue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public RedriveLoop(IQueue queue, string deadLetterQueue)
    {
        _queue = queue;
        _deadLetterQueue = deadLetterQueue;
        _loop = Task.Run(RunAsync, CancellationToken.None);
    }

    public Task Completion => _loop;

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var result = await RedriveRun.RunAsync(_queue, _deadLetterQueue, RunOptions, snapshot: null, stopping).ConfigureAwait(false);
                if (result.Ended == RedriveEnd.CameAround)
                {
                    await Task.Delay(PauseAfterKept, stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }
}

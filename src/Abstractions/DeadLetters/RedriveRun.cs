namespace Messaging.Adapters;

/// <summary>
/// One bounded pass over a dead-letter queue: consumes it one letter at a time, re-sends the matching ones to their
/// source and puts every other one back into the queue (same id and headers), and stops at the first of: the limit
/// reached, as many letters taken as the queue held at the start, a letter it put back coming round again (after at
/// most one more lap where the count is known), or no letter for the idle timeout. Letters it receives after deciding to stop are released to the broker untouched.
/// </summary>
internal sealed class RedriveRun
{
    private readonly IQueue _queue;
    private readonly string _deadLetterQueue;
    private readonly DeadLetterRedriveOptions _options;
    private readonly long? _snapshot;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly List<string> _redriven = [];
    private readonly List<KeptDeadLetter> _kept = [];
    private readonly TaskCompletionSource<RedriveEnd> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _taken;
    private long _repeats;
    private long _lastActivity;

    private RedriveRun(IQueue queue, string deadLetterQueue, DeadLetterRedriveOptions options, long? snapshot)
    {
        _queue = queue;
        _deadLetterQueue = deadLetterQueue;
        _options = options;
        _snapshot = snapshot;
        _lastActivity = Environment.TickCount64;
    }

    /// <summary>Runs one pass.</summary>
    /// <param name="queue">The transport's queues.</param>
    /// <param name="deadLetterQueue">The dead-letter queue.</param>
    /// <param name="options">The run's options, validated.</param>
    /// <param name="snapshot">How many letters the queue held at the start, where the transport can count; <see langword="null"/>
    /// where it cannot (the run then ends on the other conditions).</param>
    /// <param name="cancellationToken">Stops the run early.</param>
    /// <returns>What the pass did.</returns>
    public static async Task<DeadLetterRedriveResult> RunAsync(IQueue queue, string deadLetterQueue, DeadLetterRedriveOptions options, long? snapshot, CancellationToken cancellationToken)
    {
        if (snapshot == 0)
        {
            return new DeadLetterRedriveResult([], [], RedriveEnd.Emptied);
        }

        var run = new RedriveRun(queue, deadLetterQueue, options, snapshot);

        // One at a time, without retries: a failure to put a letter back leaves it to the pipeline, which keeps it in
        // this same queue (a dead-letter queue has none of its own).
        var consumer = await queue.ConsumeAsync(deadLetterQueue, run.HandleAsync, new ConsumerOptions { MaxInFlight = 1, Retry = RetryPolicy.None }, cancellationToken).ConfigureAwait(false);
        RedriveEnd ended;
        try
        {
            ended = await run.WaitForEndAsync(consumer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Cancels the handler that holds a letter received after the end: released, it stays in the queue.
            await consumer.DisposeAsync().ConfigureAwait(false);
        }

        lock (run._gate)
        {
            return new DeadLetterRedriveResult([.. run._redriven], [.. run._kept], ended);
        }
    }

    private async Task<RedriveEnd> WaitForEndAsync(IConsumer consumer, CancellationToken cancellationToken)
    {
        var failed = consumer.Completion;
        while (true)
        {
            var idleFor = TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastActivity));
            var wait = _options.IdleTimeout - idleFor;
            if (wait <= TimeSpan.Zero)
            {
                End(RedriveEnd.Emptied);
                return await _ended.Task.ConfigureAwait(false);
            }

            var finished = await Task.WhenAny(_ended.Task, failed, Task.Delay(wait, cancellationToken)).ConfigureAwait(false);
            if (finished == _ended.Task)
            {
                return await _ended.Task.ConfigureAwait(false);
            }

            if (finished == failed)
            {
                await failed.ConfigureAwait(false);
                throw new InvalidOperationException($"The consumer of dead-letter queue '{_deadLetterQueue}' stopped before the redrive ended.");
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private async ValueTask HandleAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        var letter = new DeadLetter(message.Envelope);
        var putBackAgain = false;
        lock (_gate)
        {
            if (!_ended.Task.IsCompleted && !_seen.Add(letter.Id))
            {
                // A letter this run put back came round before the letters it has not reached yet (a broker without
                // one order: Kafka partitions, SQS): put it back once more and go on, for at most one more lap.
                putBackAgain = _taken < _snapshot && _repeats++ < _snapshot;
                if (!putBackAgain)
                {
                    _ended.TrySetResult(RedriveEnd.CameAround);
                }
            }

            if (_ended.Task.IsCompleted)
            {
                letter = null;
            }
        }

        if (letter is null)
        {
            // Not for this run: held until the run stops its consumer, then released to the queue as it is.
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            return;
        }

        Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
        if (putBackAgain)
        {
            await _queue.SendAsync(_deadLetterQueue, message.Envelope, cancellationToken).ConfigureAwait(false);
            return;
        }

        var keep = letter.RedriveRefusal is { } refusal ? (Reason: refusal, Refused: true)
            : !_options.Matches(letter) ? (Reason: "It does not match the redrive's filter.", Refused: false)
            : default;
        if (keep.Reason is null)
        {
            try
            {
                await _queue.SendAsync(letter.Source!, letter.ToRedriven(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                keep = ($"Re-sending it to '{letter.Source}' failed: {ex.GetType().Name}: {ex.Message}", true);
            }
        }

        if (keep.Reason is not null)
        {
            // Back into the same queue, as it is: same id, same headers. Acknowledging the delivery then removes the copy
            // this run took.
            await _queue.SendAsync(_deadLetterQueue, message.Envelope, cancellationToken).ConfigureAwait(false);
        }

        lock (_gate)
        {
            if (keep.Reason is null)
            {
                _redriven.Add(letter.Id);
            }
            else
            {
                _kept.Add(new KeptDeadLetter(letter.Id, letter.Type, keep.Reason, keep.Refused));
            }

            _taken++;
            if (_options.MaxMessages is { } max && _redriven.Count >= max)
            {
                End(RedriveEnd.LimitReached);
            }
            else if (_taken >= _snapshot)
            {
                End(RedriveEnd.Emptied);
            }
        }

        Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
    }

    private void End(RedriveEnd reason) => _ended.TrySetResult(reason);
}

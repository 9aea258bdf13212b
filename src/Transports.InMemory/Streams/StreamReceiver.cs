using Messaging.Adapters.Transport;

namespace Messaging.Adapters.InMemory.Streams;

/// <summary>
/// One reader of a stream in a reader group, as the engine's pulling receiver: it waits to be its group's active
/// reader (one per group; the others stand by), reads the log in order from the group's start position, and
/// checkpoints the offset after the last handled message by count, by time and when it stops.
/// </summary>
internal sealed class StreamReceiver(StreamLog log, string group, StreamReadOptions options, InMemoryTransport transport, TimeProvider time)
    : IPullingReceiver<StreamReceiver.Entry>
{
    private readonly SemaphoreSlim _gate = log.GroupGates.GetOrAdd(group, static _ => new SemaphoreSlim(1, 1));
    private readonly StreamCheckpoints _checkpoints = new(options, time);
    private DeliveryScope _scope = null!;
    private bool _active;
    private long _readPosition;

    public string DeadLetterSource => log.Name + "." + group;

    /// <summary>Becomes the active reader at once when the group has none, fixing the start offset before the read
    /// call returns, so <see cref="StreamPosition.End"/> means "after what was appended before ReadAsync returned".</summary>
    public Task StartAsync(IDeliverySink<Entry> sink, CancellationToken cancellationToken)
    {
        _scope = sink.CreateScope(log.Name + "/" + group);
        if (_gate.Wait(0, CancellationToken.None))
        {
            Activate();
        }

        return Task.CompletedTask;
    }

    public async ValueTask ReceiveAsync(int maxCount, List<Entry> into, CancellationToken cancellationToken)
    {
        if (!_active)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            Activate();
        }

        while (true)
        {
            if (log.TryRead(_readPosition, out var entry, out var appended))
            {
                var message = new ReceivedMessage(entry.Envelope, log.Name, DeliveryAttempts.NextAttempt(entry.Envelope))
                {
                    ReaderGroup = group,
                    StreamPartition = 0,
                    StreamOffset = _readPosition,
                };
                into.Add(new Entry(message, _scope));
                _readPosition++;
                if (into.Count == maxCount)
                {
                    return;
                }

                continue;
            }

            if (into.Count > 0)
            {
                return;
            }

            await appended.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopReceivingAsync() => Task.CompletedTask;

    public ValueTask AcknowledgeAsync(Entry delivery)
    {
        if (_checkpoints.Advance(delivery.Message.StreamOffset!.Value))
        {
            Save();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A stream message is never taken back: the group's checkpoint stays before it and the reader stops.</summary>
    public ValueTask ReleaseAsync(Entry delivery, int attemptsMade) => ValueTask.CompletedTask;

    /// <summary>Never called: a stream is read in order, so the engine holds delayed retries in process.</summary>
    public ValueTask RetryLaterAsync(Entry delivery, Envelope retry, TimeSpan delay) =>
        throw new InvalidOperationException($"Stream '{log.Name}' is read in order; a delayed retry must wait in the reader.");

    public ValueTask DeadLetterAsync(Entry delivery, Envelope deadLetter)
    {
        transport.DeadLetter(DeadLetterSource, deadLetter);
        return AcknowledgeAsync(delivery);
    }

    public Task CloseAsync()
    {
        if (_active)
        {
            Save();
            _active = false;
            _gate.Release();
        }

        return Task.CompletedTask;
    }

    private void Activate()
    {
        var start = _checkpoints.ResolveStart(log.Checkpoints.TryGetValue(group, out var stored) ? stored : null);
        var offset = start.Kind switch
        {
            StreamPositionKind.End => log.Count,
            StreamPositionKind.Offset => start.Offset,
            StreamPositionKind.Time => log.FirstAtOrAfter(start.Time),
            _ => 0,
        };
        _checkpoints.StartAt(offset);
        _readPosition = offset;

        // Record where the group starts, so a reader restarted before its first checkpoint resumes here.
        Save();
        _active = true;
    }

    private void Save()
    {
        log.Checkpoints[group] = _checkpoints.Position!.Value;
        _checkpoints.Saved();
    }

    /// <summary>One log entry handed to the reader.</summary>
    internal sealed class Entry(ReceivedMessage message, DeliveryScope scope) : InboundDelivery(message, scope);
}

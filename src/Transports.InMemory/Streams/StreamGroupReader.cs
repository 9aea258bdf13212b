using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.InMemory.Streams;

/// <summary>
/// One reader of a stream in a reader group: reads in order from its start position, handles each message through
/// the pipeline, and checkpoints the offset after the last handled message.
/// </summary>
internal sealed partial class StreamGroupReader : IConsumer
{
    private static readonly AsyncLocal<StreamGroupReader?> CurrentReader = new();

    private readonly StreamLog _log;
    private readonly string _group;
    private readonly HandlerPipeline _pipeline;
    private readonly StreamReadOptions _options;
    private readonly InMemoryTransport _transport;
    private readonly CancellationTokenSource _stopReading = new();
    private readonly CancellationTokenSource _handlerCancellation = new();
    private Task _running = Task.CompletedTask;
    private int _stopped;

    public StreamGroupReader(StreamLog log, string group, HandlerPipeline pipeline, StreamReadOptions options, InMemoryTransport transport)
    {
        _log = log;
        _group = group;
        _pipeline = pipeline;
        _options = options;
        _transport = transport;
    }

    public string DeadLetterQueue => _log.Name + "." + _group + DestinationNames.DeadLetterSuffix;

    /// <summary>Starts reading. When the group has no active reader, the start offset is fixed before this returns,
    /// so <see cref="StreamPosition.End"/> means "after what was appended before ReadAsync returned".</summary>
    public void Start()
    {
        var gate = _log.GroupGates.GetOrAdd(_group, static _ => new SemaphoreSlim(1, 1));
        if (gate.Wait(0))
        {
            var position = StartOffset();
            _running = Task.Run(() => ReadAsync(gate, position));
        }
        else
        {
            _running = Task.Run(() => StandByThenReadAsync(gate));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            _transport.Forget(this);
            await _stopReading.CancelAsync().ConfigureAwait(false);
        }

        using var registration = cancellationToken.Register(static state => ((StreamGroupReader)state!)._handlerCancellation.Cancel(), this);
        if (CurrentReader.Value != this)
        {
            await _running.ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(new CancellationToken(canceled: true)));

    private async Task StandByThenReadAsync(SemaphoreSlim gate)
    {
        try
        {
            await gate.WaitAsync(_stopReading.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await ReadAsync(gate, StartOffset()).ConfigureAwait(false);
    }

    private async Task ReadAsync(SemaphoreSlim gate, long position)
    {
        CurrentReader.Value = this;
        try
        {
            var sinceCheckpoint = 0;
            while (!_stopReading.IsCancellationRequested)
            {
                if (!_log.TryRead(position, out var entry, out var appended))
                {
                    try
                    {
                        await appended.WaitAsync(_stopReading.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }

                    continue;
                }

                var received = new ReceivedMessage(entry.Envelope, _log.Name)
                {
                    StreamPartition = 0,
                    StreamOffset = position,
                };
                var result = await _pipeline.HandleAsync(received, _handlerCancellation.Token).ConfigureAwait(false);
                if (result.Outcome == HandlingOutcome.Release)
                {
                    break;
                }

                if (result.Outcome == HandlingOutcome.DeadLetter)
                {
                    _transport.DeadLetter(_log.Name + "." + _group, result.Message!);
                }

                position++;
                if (++sinceCheckpoint >= _options.CheckpointEvery)
                {
                    _log.Checkpoints[_group] = position;
                    sinceCheckpoint = 0;
                }
            }
        }
        catch (Exception ex)
        {
            LogReaderFailed(_transport.Logger, _log.Name, _group, position, ex);
        }
        finally
        {
            _log.Checkpoints[_group] = position;
            gate.Release();
        }
    }

    private long StartOffset()
    {
        if (_options.ResumeFromCheckpoint && _log.Checkpoints.TryGetValue(_group, out var checkpoint))
        {
            return checkpoint;
        }

        var start = _options.StartPosition;
        var offset = start.Kind switch
        {
            StreamPositionKind.End => _log.Count,
            StreamPositionKind.Offset => start.Offset,
            StreamPositionKind.Time => _log.FirstAtOrAfter(start.Time),
            _ => 0,
        };

        // Record where the group starts, so a reader restarted before its first checkpoint resumes here.
        _log.Checkpoints[_group] = offset;
        return offset;
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Error, Message = "Reader group {Group} of stream {Stream} stopped at offset {Offset} after an unexpected failure")]
    private static partial void LogReaderFailed(ILogger logger, string stream, string group, long offset, Exception exception);
}

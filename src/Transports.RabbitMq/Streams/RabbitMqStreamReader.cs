using System.Threading.Channels;
using Messaging.Adapters.RabbitMq.Connection;
using Messaging.Adapters.RabbitMq.Consuming;
using Messaging.Adapters.RabbitMq.Publishing;
using Messaging.Adapters.RabbitMq.Topology;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Messaging.Adapters.RabbitMq.Streams;

/// <summary>
/// One reader of a stream in a reader group. It waits to be the group's active reader (an
/// <see cref="ActiveConsumerLock"/> on <c>&lt;stream&gt;.&lt;group&gt;.reader</c>), reads the group's checkpoint,
/// consumes the stream queue from there with <c>x-stream-offset</c>, handles messages one at a time in offset order,
/// and checkpoints the next offset every <see cref="StreamReadOptions.CheckpointEvery"/> messages and when it stops.
/// </summary>
/// <remarks>
/// <para>A lost connection ends the session: the reader gives up its lock and reads the checkpoint again once it
/// holds the lock again, because a standby reader may have carried on in the meantime. Up to
/// <see cref="StreamReadOptions.CheckpointEvery"/> messages are then read again (at least once).</para>
/// <para>RabbitMQ resolves a start time to the second; the reader then skips messages appended (by the appending
/// client's clock, <c>x-messaging-appended-at</c>) before the requested time.</para>
/// </remarks>
internal sealed partial class RabbitMqStreamReader : IConsumer
{
    private static readonly AsyncLocal<RabbitMqStreamReader?> CurrentReader = new();

    private readonly RabbitMqTransport _transport;
    private readonly string _stream;
    private readonly string _group;
    private readonly HandlerPipeline _pipeline;
    private readonly StreamReadOptions _options;
    private readonly StreamCheckpoint _checkpoint;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _cancelHandlers = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _running = Task.CompletedTask;
    private int _stopRequested;
    private bool _startResolved;

    public RabbitMqStreamReader(RabbitMqTransport transport, string stream, string group, HandlerPipeline pipeline, StreamReadOptions options)
    {
        _transport = transport;
        _stream = stream;
        _group = group;
        _pipeline = pipeline;
        _options = options;
        _checkpoint = new StreamCheckpoint(transport, stream, group);
        _logger = transport.ConsumerLogger;
    }

    /// <summary>Starts the reader and returns once it reads (its consumer is registered on the stream, so "the end"
    /// means the end at this moment) or waits as a standby; a first attempt that fails is thrown here.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _running = Task.Run(RunAsync, CancellationToken.None);
        try
        {
            await _started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            _transport.Forget(this);
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        using var registration = cancellationToken.Register(static state => ((RabbitMqStreamReader)state!)._cancelHandlers.Cancel(), this);
        if (CurrentReader.Value != this)
        {
            await _running.ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(new CancellationToken(canceled: true)));

    private bool Stopping => Volatile.Read(ref _stopRequested) != 0;

    private async Task RunAsync()
    {
        CurrentReader.Value = this;
        try
        {
            await ReadUntilStoppedAsync().ConfigureAwait(false);
        }
        finally
        {
            // Stopped before it ever read or stood by: StartAsync must not wait forever.
            _started.TrySetCanceled();
        }
    }

    private async Task ReadUntilStoppedAsync()
    {
        while (!Stopping)
        {
            try
            {
                await using var held = await ActiveConsumerLock.AcquireAsync(
                    _transport,
                    TopologyProvisioner.ReaderLockQueue(_stream, _group),
                    RabbitMqTransport.ManagedConsumerTag("reader-lock"),
                    _stopping.Token,
                    whenStandby: () => _started.TrySetResult()).ConfigureAwait(false);
                await ReadWhileHeldAsync(held).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (Stopping)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (_started.TrySetException(ex))
                {
                    // The first attempt failed: StartAsync reports it and disposes the reader.
                    return;
                }

                LogSessionFailed(_logger, _group, _stream, _transport.Options.RecoveryInterval.TotalSeconds, ex);
                try
                {
                    await Task.Delay(_transport.Options.RecoveryInterval, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Reads while this reader holds the group's lock; returns when it stops or loses the session.</summary>
    private async Task ReadWhileHeldAsync(ActiveConsumerLock held)
    {
        var stored = await _checkpoint.ReadAsync(_stopping.Token).ConfigureAwait(false);
        var (offsetArgument, from, fromTime) = StartingPoint(stored);
        var deliveries = Channel.CreateUnbounded<BasicDeliverEventArgs>(new UnboundedChannelOptions { SingleReader = true });
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = held.Lost.ContinueWith(_ => ended.TrySetResult(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var channel = await _transport.ConsumingConnection.CreateChannelAsync(new CreateChannelOptions(false, false), _transport.Options.PublishTimeout, _stopping.Token).ConfigureAwait(false);
        long? next = stored;
        var handledSinceCheckpoint = 0;
        var sessionLost = false;
        try
        {
            channel.ChannelShutdownAsync += (_, _) =>
            {
                ended.TrySetResult();
                return Task.CompletedTask;
            };
            await channel.BasicQosAsync(0, (ushort)_transport.Options.StreamPrefetch, false, _stopping.Token).ConfigureAwait(false);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, args) =>
            {
                // The body is only valid during this callback; the copy is made when the envelope is read.
                var copy = new BasicDeliverEventArgs(args.ConsumerTag, args.DeliveryTag, args.Redelivered, args.Exchange, args.RoutingKey, args.BasicProperties, args.Body.ToArray(), args.CancellationToken);
                deliveries.Writer.TryWrite(copy);
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(_stream, false, RabbitMqTransport.ManagedConsumerTag("reader"), false, false, new Dictionary<string, object?> { ["x-stream-offset"] = offsetArgument }, consumer, _stopping.Token).ConfigureAwait(false);
            LogReading(_logger, _group, _stream, offsetArgument);
            _started.TrySetResult();

            while (true)
            {
                var read = deliveries.Reader.WaitToReadAsync(_stopping.Token).AsTask();
                await Task.WhenAny(read, ended.Task).ConfigureAwait(false);
                if (Stopping)
                {
                    break;
                }

                if (ended.Task.IsCompleted)
                {
                    sessionLost = true;
                    break;
                }

                if (!deliveries.Reader.TryRead(out var args))
                {
                    continue;
                }

                var offset = AmqpEnvelope.ReadLong(args.BasicProperties, AmqpEnvelope.StreamOffsetHeader) ?? -1;
                if (!Skip(args, offset, from, fromTime))
                {
                    var envelope = AmqpEnvelope.FromDelivery(args.BasicProperties, args.Body);
                    var message = new ReceivedMessage(envelope, _stream, DeliveryAttempts.NextAttempt(envelope))
                    {
                        StreamPartition = 0,
                        StreamOffset = offset,
                    };
                    var result = await HandleAsync(message).ConfigureAwait(false);
                    if (result.Outcome == HandlingOutcome.Release)
                    {
                        // Stopping while the handler gave up: the message stays unread for the group.
                        break;
                    }

                    if (result.Outcome == HandlingOutcome.DeadLetter)
                    {
                        await _transport.PublishDeadLetterAsync(TopologyProvisioner.ReaderGroupSource(_stream, _group), result.Message!, CancellationToken.None).ConfigureAwait(false);
                    }

                    handledSinceCheckpoint++;
                }

                // Acknowledging a stream message only returns credit to the broker; the checkpoint is the group's position.
                await AckQuietlyAsync(channel, args.DeliveryTag).ConfigureAwait(false);
                next = offset + 1;
                _startResolved = true;
                if (handledSinceCheckpoint >= _options.CheckpointEvery)
                {
                    _checkpoint.Save(next.Value);
                    handledSinceCheckpoint = 0;
                }
            }
        }
        finally
        {
            if (!sessionLost && next is { } position && _startResolved)
            {
                try
                {
                    using var flushTimeout = new CancellationTokenSource(_transport.Options.PublishTimeout);
                    await _checkpoint.FlushAsync(position, flushTimeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogFinalCheckpointFailed(_logger, _group, _stream, position, ex);
                }
            }

            await PublishChannelPool.CloseQuietlyAsync(channel).ConfigureAwait(false);
        }

        if (sessionLost)
        {
            LogSessionLost(_logger, _group, _stream);
        }
    }

    private async ValueTask<HandlingResult> HandleAsync(ReceivedMessage message)
    {
        try
        {
            return await _pipeline.HandleAsync(message, _cancelHandlers.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogPipelineFailed(_logger, message.Envelope.Id, _stream, ex);
            return new HandlingResult { Outcome = HandlingOutcome.Release };
        }
    }

    /// <summary>The <c>x-stream-offset</c> to consume from, and the offset and time before which messages are skipped.</summary>
    private (object Argument, long From, DateTimeOffset? FromTime) StartingPoint(long? stored)
    {
        if (stored is { } checkpoint && (_options.ResumeFromCheckpoint || _startResolved))
        {
            return (checkpoint, checkpoint, null);
        }

        var start = _options.StartPosition;
        return start.Kind switch
        {
            StreamPositionKind.End => ("next", 0, null),
            StreamPositionKind.Offset => (start.Offset, start.Offset, null),

            // The broker seeks to whole seconds; start a second early and skip by append time.
            StreamPositionKind.Time => (new AmqpTimestamp(start.Time.ToUnixTimeSeconds() - 1), 0, start.Time),
            _ => ("first", 0, null),
        };
    }

    private static bool Skip(BasicDeliverEventArgs args, long offset, long from, DateTimeOffset? fromTime)
    {
        if (offset < from)
        {
            // Streams are read by chunk: the chunk holding the start offset may begin before it.
            return true;
        }

        return fromTime is { } time
            && AmqpEnvelope.ReadLong(args.BasicProperties, AmqpEnvelope.AppendedAtHeader) is { } appendedAt
            && appendedAt < time.ToUnixTimeMilliseconds();
    }

    private static async Task AckQuietlyAsync(IChannel channel, ulong tag)
    {
        try
        {
            await channel.BasicAckAsync(tag, false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (BrokerErrors.IsConnectionLoss(ex) || BrokerErrors.IsChannelRefusal(ex, out _))
        {
            // The session is ending; the next one starts from the checkpoint.
        }
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Reader group {Group} reads stream {Stream} from {Offset}")]
    private static partial void LogReading(ILogger logger, string group, string stream, object offset);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Reader group {Group} of stream {Stream} could not read; trying again in {Seconds} s")]
    private static partial void LogSessionFailed(ILogger logger, string group, string stream, double seconds, Exception exception);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Reader group {Group} of stream {Stream} lost its session; it resumes from the checkpoint once it is the active reader again")]
    private static partial void LogSessionLost(ILogger logger, string group, string stream);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Error, Message = "Could not store the final checkpoint of reader group {Group} of stream {Stream} at offset {Offset}")]
    private static partial void LogFinalCheckpointFailed(ILogger logger, string group, string stream, long offset, Exception exception);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Error, Message = "The handler pipeline failed for message {MessageId} from stream {Stream}; the reader stops there")]
    private static partial void LogPipelineFailed(ILogger logger, string messageId, string stream, Exception exception);
}

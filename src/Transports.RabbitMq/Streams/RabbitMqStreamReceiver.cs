using System.Diagnostics;
using Messaging.Adapters.RabbitMq.Connection;
using Messaging.Adapters.RabbitMq.Consuming;
using Messaging.Adapters.RabbitMq.Publishing;
using Messaging.Adapters.RabbitMq.Telemetry;
using Messaging.Adapters.RabbitMq.Topology;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Messaging.Adapters.RabbitMq.Streams;

/// <summary>
/// How one reader of a stream in a reader group receives on RabbitMQ. It waits to be the group's active reader (an
/// <see cref="ActiveConsumerLock"/> on <c>&lt;stream&gt;.&lt;group&gt;.reader</c>), reads the group's checkpoint and
/// consumes the stream queue from there with <c>x-stream-offset</c>; the engine handles the messages one at a time
/// in offset order, and each acknowledgement advances the group's position, checkpointed by count, by time and when
/// the reader stops.
/// </summary>
/// <remarks>
/// <para>A lost connection ends the session: the reader gives up its lock and reads the checkpoint again once it
/// holds the lock again, because a standby reader may have carried on in the meantime. Up to
/// <see cref="StreamReadOptions.CheckpointEvery"/> messages are then read again (at least once).</para>
/// <para>RabbitMQ resolves a start time to the second; the reader then skips messages appended (by the appending
/// client's clock, <c>x-messaging-appended-at</c>) before the requested time.</para>
/// </remarks>
internal sealed partial class RabbitMqStreamReceiver(RabbitMqTransport transport, string stream, string group, StreamReadOptions options, TimeProvider time)
    : IDeliveryReceiver<RabbitMqStreamReceiver.Entry>
{
    private readonly StreamCheckpoint _store = new(transport, stream, group);
    private readonly StreamCheckpoints _checkpoints = new(options, time);
    private readonly Lock _positionGate = new();
    private readonly ILogger _logger = transport.ConsumerLogger;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IDeliverySink<Entry> _sink = null!;
    private Task _running = Task.CompletedTask;
    private Reading? _reading;
    private bool _readBefore;

    /// <summary>Starts the reader and returns once it reads (its consumer is registered on the stream, so "the end"
    /// means the end at this moment) or waits as a standby; a first attempt that fails is thrown here.</summary>
    public async Task StartAsync(IDeliverySink<Entry> sink, CancellationToken cancellationToken)
    {
        _sink = sink;
        _running = Task.Run(RunAsync, CancellationToken.None);
        await _started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopReceivingAsync() => Task.CompletedTask;

    public async ValueTask AcknowledgeAsync(Entry delivery)
    {
        // Acknowledging a stream message only returns credit to the broker; the checkpoint is the group's position.
        await ChannelSettlement.SettleQuietlyAsync(delivery.Reading.Channel, delivery.Tag, ack: true).ConfigureAwait(false);
        Advance(delivery.Message.StreamOffset!.Value, handled: true);
    }

    /// <summary>A stream message is never taken back: the group's position stays before it and the reader stops.</summary>
    public ValueTask ReleaseAsync(Entry delivery, int attemptsMade) => ValueTask.CompletedTask;

    /// <summary>Never called: a stream is read in order, so the engine holds delayed retries in process.</summary>
    public ValueTask RetryLaterAsync(Entry delivery, Envelope retry, TimeSpan delay) =>
        throw new InvalidOperationException($"Stream '{stream}' is read in order; a delayed retry must wait in the reader.");

    public async ValueTask DeadLetterAsync(Entry delivery, Envelope deadLetter)
    {
        await transport.PublishDeadLetterAsync(TopologyProvisioner.ReaderGroupSource(stream, group), deadLetter, delivery.NativeHeaders, CancellationToken.None).ConfigureAwait(false);
        await AcknowledgeAsync(delivery).ConfigureAwait(false);
    }

    /// <summary>Once every handler returned: stores the final checkpoint, closes the channel, gives up the lock.</summary>
    public async Task CloseAsync()
    {
        await _running.ConfigureAwait(false);
        if (Interlocked.Exchange(ref _reading, null) is { } reading)
        {
            await EndReadingAsync(reading, lost: false).ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        try
        {
            while (!_sink.IsStopping)
            {
                try
                {
                    var held = await ActiveConsumerLock.AcquireAsync(
                        transport,
                        TopologyProvisioner.ReaderLockQueue(stream, group),
                        RabbitMqTransport.ManagedConsumerTag("reader-lock"),
                        _sink.Stopping,
                        whenStandby: () => _started.TrySetResult()).ConfigureAwait(false);
                    if (!await ReadWhileHeldAsync(held).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (_sink.IsStopping)
                {
                    return;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    if (_started.TrySetException(ex))
                    {
                        // The first attempt failed: StartAsync reports it and the engine disposes the reader.
                        return;
                    }

                    LogSessionFailed(_logger, group, stream, transport.Options.RecoveryInterval.TotalSeconds, ex);
                    try
                    {
                        await Task.Delay(transport.Options.RecoveryInterval, _sink.Stopping).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }
        finally
        {
            // Stopped before it ever read or stood by: StartAsync must not wait forever.
            _started.TrySetCanceled();
        }
    }

    /// <summary>Reads while this reader holds the group's lock. Returns <see langword="false"/> when the reader stops
    /// (the session stays open for <see cref="CloseAsync"/>), <see langword="true"/> after the session was lost.</summary>
    private async Task<bool> ReadWhileHeldAsync(ActiveConsumerLock held)
    {
        IChannel? channel = null;
        Reading reading;
        object offsetArgument;
        try
        {
            var stored = await _store.ReadAsync(_sink.Stopping).ConfigureAwait(false);
            var start = _checkpoints.ResolveStart(stored, _readBefore);
            (offsetArgument, var from, var fromTime) = StartingPoint(start);
            channel = await transport.ConsumingConnection.CreateChannelAsync(new CreateChannelOptions(false, false), transport.Options.PublishTimeout, _sink.Stopping).ConfigureAwait(false);
            reading = new Reading(channel, _sink.CreateScope($"reader of {stream}/{group}"), held, from, fromTime, stored);
            var scope = reading.Scope;
            channel.ChannelShutdownAsync += (_, reason) =>
            {
                scope.End($"{reason.ReplyCode} {reason.ReplyText}");
                return Task.CompletedTask;
            };
            _ = held.Lost.ContinueWith(_ => scope.End("the reader-group lock was lost"), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            await channel.BasicQosAsync(0, (ushort)transport.Options.StreamPrefetch, false, _sink.Stopping).ConfigureAwait(false);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, args) => ReceiveAsync(reading, args);
            Volatile.Write(ref _reading, reading);
            await channel.BasicConsumeAsync(stream, false, RabbitMqTransport.ManagedConsumerTag("reader"), false, false, new Dictionary<string, object?> { ["x-stream-offset"] = offsetArgument }, consumer, _sink.Stopping).ConfigureAwait(false);
        }
        catch
        {
            Volatile.Write(ref _reading, null);
            if (channel is not null)
            {
                await PublishChannelPool.CloseQuietlyAsync(channel).ConfigureAwait(false);
            }

            await held.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        LogReading(_logger, group, stream, offsetArgument);
        _started.TrySetResult();
        await Task.WhenAny(reading.Scope.Ended, Task.Delay(Timeout.Infinite, _sink.Stopping)).ConfigureAwait(false);
        if (_sink.IsStopping)
        {
            return false;
        }

        LogSessionLost(_logger, group, stream);
        Volatile.Write(ref _reading, null);
        await EndReadingAsync(reading, lost: true).ConfigureAwait(false);
        return true;
    }

    private async Task ReceiveAsync(Reading reading, BasicDeliverEventArgs args)
    {
        var offset = AmqpEnvelope.ReadLong(args.BasicProperties, AmqpEnvelope.StreamOffsetHeader) ?? -1;
        if (Skip(args, offset, reading.From, reading.FromTime))
        {
            await ChannelSettlement.SettleQuietlyAsync(reading.Channel, args.DeliveryTag, ack: true).ConfigureAwait(false);
            Advance(offset, handled: false);
            return;
        }

        // The body is only valid during this callback; reading the envelope copies it.
        var envelope = AmqpEnvelope.FromDelivery(args.BasicProperties, args.Body);
        var message = new ReceivedMessage(envelope, stream, DeliveryAttempts.NextAttempt(envelope))
        {
            ReaderGroup = group,
            StreamPartition = 0,
            StreamOffset = offset,
        };
        _sink.Dispatch(new Entry(message, reading, args.DeliveryTag, args.RoutingKey, args.BasicProperties.Headers));
    }

    private void Advance(long offset, bool handled)
    {
        long? due = null;
        lock (_positionGate)
        {
            _readBefore = true;
            if (_checkpoints.Advance(offset, handled))
            {
                due = _checkpoints.Position;
                _checkpoints.Saved();
            }
        }

        if (due is { } position)
        {
            _store.Save(position);
        }
    }

    /// <summary>Ends a session: cancels and waits for its handlers when it was lost (so a new holder of the lock never
    /// overlaps them), stores the final checkpoint when it was not, closes the channel and gives up the lock.</summary>
    private async Task EndReadingAsync(Reading reading, bool lost)
    {
        await _sink.EndScopeAsync(reading.Scope, reading.Scope.EndReason ?? "the reader stopped", cancelRunning: lost).ConfigureAwait(false);
        long? position;
        lock (_positionGate)
        {
            position = _readBefore ? _checkpoints.Position : null;
        }

        if (!lost && position is { } next && next != reading.Stored)
        {
            try
            {
                using var flushTimeout = new CancellationTokenSource(transport.Options.PublishTimeout);
                await _store.FlushAsync(next, flushTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogFinalCheckpointFailed(_logger, group, stream, next, ex);
            }
        }

        await PublishChannelPool.CloseQuietlyAsync(reading.Channel).ConfigureAwait(false);
        await reading.Lock.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The <c>x-stream-offset</c> to consume from, and the offset and time before which messages are skipped.</summary>
    private static (object Argument, long From, DateTimeOffset? FromTime) StartingPoint(StreamPosition start) => start.Kind switch
    {
        StreamPositionKind.End => ("next", 0, null),
        StreamPositionKind.Offset => (start.Offset, start.Offset, null),

        // The broker seeks to whole seconds; start a second early and skip by append time.
        StreamPositionKind.Time => (new AmqpTimestamp(start.Time.ToUnixTimeSeconds() - 1), 0, start.Time),
        _ => ("first", 0, null),
    };

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

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Reader group {Group} reads stream {Stream} from {Offset}")]
    private static partial void LogReading(ILogger logger, string group, string stream, object offset);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Reader group {Group} of stream {Stream} could not read; trying again in {Seconds} s")]
    private static partial void LogSessionFailed(ILogger logger, string group, string stream, double seconds, Exception exception);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Reader group {Group} of stream {Stream} lost its session; it resumes from the checkpoint once it is the active reader again")]
    private static partial void LogSessionLost(ILogger logger, string group, string stream);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Error, Message = "Could not store the final checkpoint of reader group {Group} of stream {Stream} at offset {Offset}")]
    private static partial void LogFinalCheckpointFailed(ILogger logger, string group, string stream, long offset, Exception exception);

    /// <summary>One session of the active reader: its channel, scope and lock, and where it started.</summary>
    internal sealed record Reading(IChannel Channel, DeliveryScope Scope, ActiveConsumerLock Lock, long From, DateTimeOffset? FromTime, long? Stored);

    /// <summary>One stream message handed to the engine, acknowledged on its session's channel.</summary>
    internal sealed class Entry(ReceivedMessage message, Reading reading, ulong tag, string routingKey, IDictionary<string, object?>? nativeHeaders) : InboundDelivery(message, reading.Scope)
    {
        /// <summary>The entry's AMQP headers as stored, so a dead letter keeps their types.</summary>
        public IDictionary<string, object?>? NativeHeaders { get; } = nativeHeaders;

        public Reading Reading { get; } = reading;

        public ulong Tag { get; } = tag;

        protected override void AddSpanAttributes(Activity span) => AmqpSpanAttributes.AddDelivery(span, routingKey, Tag);
    }
}

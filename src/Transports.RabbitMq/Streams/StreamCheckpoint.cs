using System.Globalization;
using System.Text;
using Messaging.Adapters.RabbitMq.Publishing;
using Messaging.Adapters.RabbitMq.Topology;
using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.RabbitMq.Streams;

/// <summary>
/// A reader group's checkpoint, kept durably on the broker: the next offset to read, as the one message of the queue
/// <c>&lt;stream&gt;.&lt;group&gt;.checkpoint</c> (<c>x-max-length: 1</c>, <c>drop-head</c>), written with a
/// publisher confirm and read back with <c>basic.get</c> and a requeue.
/// </summary>
/// <remarks>Writes happen in the background, one at a time, always of the newest offset (older ones still waiting
/// are skipped), so the reader never waits for the broker between messages; <see cref="FlushAsync"/> waits for
/// the newest one, as a stopping reader must.</remarks>
internal sealed partial class StreamCheckpoint
{
    private readonly RabbitMqTransport _transport;
    private readonly string _queue;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private long _wanted = -1;
    private long _written = -1;
    private Task _writing = Task.CompletedTask;

    public StreamCheckpoint(RabbitMqTransport transport, string stream, string group)
    {
        _transport = transport;
        _queue = TopologyProvisioner.CheckpointQueue(stream, group);
        Stream = stream;
        Group = group;
        _logger = transport.ConsumerLogger;
    }

    public string Stream { get; }

    public string Group { get; }

    /// <summary>Reads the stored offset.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The next offset to read, or <see langword="null"/> when the group has no checkpoint.</returns>
    public async Task<long?> ReadAsync(CancellationToken cancellationToken)
    {
        var stored = await _transport.Provisioner.ReadCheckpointAsync(_queue, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _wanted = _written = stored ?? -1;
        }

        return stored;
    }

    /// <summary>Asks for <paramref name="nextOffset"/> to be stored, in the background.</summary>
    /// <param name="nextOffset">The next offset to read.</param>
    public void Save(long nextOffset)
    {
        lock (_gate)
        {
            if (nextOffset == _wanted)
            {
                return;
            }

            _wanted = nextOffset;
            if (_writing.IsCompleted)
            {
                _writing = WriteLoopAsync();
            }
        }
    }

    /// <summary>Stores <paramref name="nextOffset"/> and waits until the broker has confirmed it.</summary>
    /// <param name="nextOffset">The next offset to read.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when it is stored.</returns>
    public async Task FlushAsync(long nextOffset, CancellationToken cancellationToken)
    {
        Save(nextOffset);
        Task writing;
        lock (_gate)
        {
            writing = _writing;
        }

        await writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (_written == nextOffset)
            {
                return;
            }
        }

        // The background write failed; try once more here, where the failure can be reported.
        await WriteAsync(nextOffset, cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            long offset;
            lock (_gate)
            {
                if (_wanted == _written)
                {
                    return;
                }

                offset = _wanted;
            }

            try
            {
                await WriteAsync(offset, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogWriteFailed(_logger, Group, Stream, offset, ex);
                return;
            }
        }
    }

    private async Task WriteAsync(long offset, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(offset.ToString(CultureInfo.InvariantCulture));
        var target = new PublishTarget(string.Empty, _queue, Mandatory: true, _queue, "checkpoint queue", ct => _transport.Provisioner.EnsureReaderGroupAsync(Stream, Group, ct, force: true));
        await _transport.Publishing.SendAsync(target, new Envelope("messaging.stream-checkpoint", body), cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _written = offset;
        }
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Could not store the checkpoint of reader group {Group} of stream {Stream} at offset {Offset}; the next write tries again")]
    private static partial void LogWriteFailed(ILogger logger, string group, string stream, long offset, Exception exception);
}

namespace Messaging.Adapters;

/// <summary>
/// Replayable, ordered logs: every reader group reads the whole log from a position it chooses, and checkpoints
/// how far it got.
/// </summary>
/// <remarks>
/// <para>Available where <see cref="TransportCapabilities.Streams"/> is set; elsewhere every member throws
/// <see cref="CapabilityNotSupportedException"/>.</para>
/// <para>Within a partition, readers see messages in append order; messages with the same
/// <see cref="Envelope.Key"/> always land in the same partition. A reader group has one active reader per
/// partition; a second reader of the same group on a one-partition stream waits as a standby and takes over
/// from the checkpoint when the first stops.</para>
/// <para>A handler failure goes through the retry policy and then to the reader group's dead-letter queue
/// (<c>&lt;stream&gt;.&lt;group&gt;.dead-letter</c>); the reader then moves on, so a poison message never blocks the log.</para>
/// </remarks>
public interface IStream
{
    /// <summary>Appends one message to a stream.</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="message">The message; its <see cref="Envelope.Key"/> chooses the partition.</param>
    /// <param name="cancellationToken">Cancels the wait; the message may still be appended.</param>
    /// <returns>A task that completes when the broker has confirmed the message.</returns>
    ValueTask AppendAsync(string stream, Envelope message, CancellationToken cancellationToken = default);

    /// <summary>Appends several messages to a stream, in order.</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="messages">The messages.</param>
    /// <param name="cancellationToken">Cancels the wait; some messages may still be appended.</param>
    /// <returns>A task that completes when the broker has confirmed every message.</returns>
    ValueTask AppendBatchAsync(string stream, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default);

    /// <summary>Starts reading a stream as a named reader group.</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="readerGroup">The reader group; its checkpoint is kept under this name.</param>
    /// <param name="handler">Called once per message, in order within a partition.</param>
    /// <param name="options">Where to start and how often to checkpoint; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running reader; stopping it writes a final checkpoint of what was handled.</returns>
    /// <remarks>When the returned task completes, the reader's start position is fixed (partitions assigned, offsets
    /// resolved), so <see cref="StreamPosition.End"/> reads exactly what is appended afterwards. A standby reader fixes
    /// its position when it takes over, from the group's checkpoint.</remarks>
    Task<IConsumer> ReadAsync(string stream, string readerGroup, MessageHandler handler, StreamReadOptions? options = null, CancellationToken cancellationToken = default);
}

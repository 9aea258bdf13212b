using Messaging.Adapters.Kafka.Consuming;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Kafka.Streams;

/// <summary>
/// Streams as topics read by reader groups (consumer group <c>&lt;stream&gt;.&lt;group&gt;</c>) from a chosen
/// position; checkpoints are the group's committed offsets, stored every <see cref="StreamReadOptions.CheckpointEvery"/>
/// messages or <see cref="StreamReadOptions.CheckpointInterval"/> and committed within
/// <see cref="KafkaTransportOptions.CommitInterval"/>, and when a partition is revoked or the reader stops.
/// </summary>
internal sealed class KafkaStream(KafkaTransport transport) : IStream
{
    public ValueTask AppendAsync(string stream, Envelope message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        transport.ThrowIfDisposed();
        DestinationNames.Validate(stream, "stream", nameof(stream));
        transport.Capabilities.EnsureFits(message, stream);
        return new(transport.SendToTopicAsync(stream, [message], batch: false, cancellationToken));
    }

    public ValueTask AppendBatchAsync(string stream, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(stream, "stream", nameof(stream));
        transport.Capabilities.EnsureBatchFits(messages, stream);
        return new(transport.AppendBatchAsync(stream, messages, cancellationToken));
    }

    public async Task<IConsumer> ReadAsync(string stream, string readerGroup, MessageHandler handler, StreamReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(stream, "stream", nameof(stream));
        DestinationNames.Validate(readerGroup, "reader group", nameof(readerGroup));
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new StreamReadOptions();
        options.Validate();
        CapabilityGuard.EnsureStreamRead(transport.Capabilities, transport.Name, options);
        var groupId = GroupOf(stream, readerGroup);
        var partitions = await transport.Topics.PartitionsAsync(stream, cancellationToken).ConfigureAwait(false);
        var starts = await transport.Groups.StreamStartsAsync(groupId, partitions, options.StartPosition, cancellationToken).ConfigureAwait(false);
        var reading = new GroupReading
        {
            GroupId = groupId,
            Topics = [stream],
            Source = stream,
            ReaderGroup = readerGroup,
            DeadLetterTopic = DeadLetterQueues.TargetOf(groupId),
            Stream = options,
        };
        return await transport.StartConsumerAsync(
            new KafkaGroupReceiver(transport, reading, starts),
            handler,
            options.Retry,
            new ConsumerEngineSettings
            {
                Source = stream,
                Transport = transport.Name,
                Capabilities = transport.Capabilities,
                // Partitions are read concurrently, each in offset order.
                MaxInFlight = transport.Options.StreamPrefetch,
                Lanes = DeliveryLanes.ByScope,
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A reader group's consumer group, which is also the name its dead letters are kept under.</summary>
    internal static string GroupOf(string stream, string readerGroup) => stream + "." + readerGroup;
}

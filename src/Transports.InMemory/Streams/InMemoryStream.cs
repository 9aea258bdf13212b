using Messaging.Adapters.InMemory.Streams;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.InMemory;

/// <summary>
/// Appends to and reads in-memory streams (one partition each).
/// </summary>
internal sealed class InMemoryStream(InMemoryTransport transport) : IStream
{
    public ValueTask AppendAsync(string stream, Envelope message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return AppendBatchAsync(stream, [message], cancellationToken);
    }

    public ValueTask AppendBatchAsync(string stream, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(stream, "stream", nameof(stream));
        transport.Capabilities.EnsureBatchFits(messages, stream);
        transport.Broker.GetOrAddStream(stream).Append(messages);
        return ValueTask.CompletedTask;
    }

    public Task<IConsumer> ReadAsync(string stream, string readerGroup, MessageHandler handler, StreamReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        DestinationNames.Validate(stream, "stream", nameof(stream));
        DestinationNames.Validate(readerGroup, "reader group", nameof(readerGroup));
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new StreamReadOptions();
        options.Validate();
        CapabilityGuard.EnsureStreamRead(transport.Capabilities, transport.Name, options);

        // A stream reader handles one message at a time in log order, so a delayed retry waits in place.
        var pipeline = transport.CreatePipeline(handler, options.Retry, holdDelayedRetries: true);
        var reader = new StreamGroupReader(transport.Broker.GetOrAddStream(stream), readerGroup, pipeline, options, transport);
        transport.Track(reader);
        reader.Start();
        return Task.FromResult<IConsumer>(reader);
    }
}

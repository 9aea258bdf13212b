using Messaging.Adapters.Transport;
using Messaging.Adapters.InMemory.Streams;

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

    public async Task<IConsumer> ReadAsync(string stream, string readerGroup, MessageHandler handler, StreamReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        _ = DestinationNames.ReaderGroupSource(stream, readerGroup);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new StreamReadOptions();
        options.Validate();
        CapabilityGuard.EnsureStreamRead(transport.Capabilities, transport.Name, options);

        var log = transport.Broker.GetOrAddStream(stream);
        var receiver = new StreamReceiver(log, readerGroup, options, transport, transport.Time);
        var reader = transport.CreateConsumer(receiver, handler, options.Retry, new ConsumerEngineSettings
        {
            Source = stream,
            Transport = transport.Name,
            Capabilities = transport.Capabilities,

            // One message at a time, in log order: reading ahead from memory gains nothing.
            MaxInFlight = 1,
            Lanes = DeliveryLanes.All,
        });
        await reader.StartAsync(cancellationToken).ConfigureAwait(false);
        transport.Consumers.Add(reader, transport);
        return reader;
    }
}

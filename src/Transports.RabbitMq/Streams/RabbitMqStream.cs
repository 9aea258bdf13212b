using Messaging.Adapters.RabbitMq.Topology;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.RabbitMq.Streams;

/// <summary>
/// Appends to and reads RabbitMQ stream queues (<c>x-queue-type: stream</c>; one partition each).
/// </summary>
internal sealed class RabbitMqStream(RabbitMqTransport transport) : IStream
{
    public ValueTask AppendAsync(string stream, Envelope message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        transport.ThrowIfDisposed();
        TopologyProvisioner.ValidateName(stream, "stream", nameof(stream));
        transport.Capabilities.EnsureFits(message, stream);
        return new(transport.SendToAsync(DestinationKind.Stream, stream, [message], batch: false, cancellationToken));
    }

    public ValueTask AppendBatchAsync(string stream, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        TopologyProvisioner.ValidateName(stream, "stream", nameof(stream));
        transport.Capabilities.EnsureBatchFits(messages, stream);
        return new(transport.SendToAsync(DestinationKind.Stream, stream, messages, batch: true, cancellationToken));
    }

    public async Task<IConsumer> ReadAsync(string stream, string readerGroup, MessageHandler handler, StreamReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        transport.ThrowIfDisposed();
        TopologyProvisioner.ValidateName(stream, "stream", nameof(stream));
        TopologyProvisioner.ValidateName(readerGroup, "reader group", nameof(readerGroup));
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new StreamReadOptions();
        options.Validate();
        CapabilityGuard.EnsureStreamRead(transport.Capabilities, transport.Name, options);
        if (transport.Options.ProvisionOnFirstUse)
        {
            await transport.Provisioner.EnsureStreamAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        // The checkpoint and dead-letter queues are the reader group's own; they are declared whatever the provisioning setting.
        await transport.Provisioner.EnsureReaderGroupAsync(stream, readerGroup, cancellationToken).ConfigureAwait(false);

        // A stream reader handles one message at a time in log order, so a delayed retry waits in place.
        var pipeline = transport.CreatePipeline(handler, options.Retry, holdDelayedRetries: true);
        var reader = new RabbitMqStreamReader(transport, stream, readerGroup, pipeline, options);
        await reader.StartAsync(cancellationToken).ConfigureAwait(false);
        transport.Track(reader);
        return reader;
    }
}

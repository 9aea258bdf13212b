using Messaging.Adapters.Transport;
using Messaging.Adapters.RabbitMq.Topology;

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
        _ = DestinationNames.ReaderGroupSource(stream, readerGroup);
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

        var receiver = new RabbitMqStreamReceiver(transport, stream, readerGroup, options, transport.Time);
        var reader = transport.CreateConsumer(receiver, handler, options.Retry, new ConsumerEngineSettings
        {
            Source = stream,
            Transport = transport.Name,
            Capabilities = transport.Capabilities,

            // The prefetch keeps the next messages close; the single lane handles them one at a time, in offset order.
            MaxInFlight = transport.Options.StreamPrefetch,
            Lanes = DeliveryLanes.All,
        });
        await reader.StartAsync(cancellationToken).ConfigureAwait(false);
        transport.Consumers.Add(reader, transport);
        return reader;
    }
}

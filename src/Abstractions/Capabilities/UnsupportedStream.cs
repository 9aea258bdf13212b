namespace Messaging.Adapters;

/// <summary>
/// The <see cref="IStream"/> of a transport without <see cref="TransportCapabilities.Streams"/>: every member throws
/// <see cref="CapabilityNotSupportedException"/> naming the transport.
/// </summary>
/// <param name="transport">The transport's name.</param>
public sealed class UnsupportedStream(string transport) : IStream
{
    /// <inheritdoc />
    public ValueTask AppendAsync(string stream, Envelope message, CancellationToken cancellationToken = default) =>
        throw new CapabilityNotSupportedException(nameof(TransportCapabilities.Streams), transport);

    /// <inheritdoc />
    public ValueTask AppendBatchAsync(string stream, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default) =>
        throw new CapabilityNotSupportedException(nameof(TransportCapabilities.Streams), transport);

    /// <inheritdoc />
    public Task<IConsumer> ReadAsync(string stream, string readerGroup, MessageHandler handler, StreamReadOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new CapabilityNotSupportedException(nameof(TransportCapabilities.Streams), transport);
}

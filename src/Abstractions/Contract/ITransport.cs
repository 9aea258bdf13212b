namespace Messaging.Adapters;

/// <summary>
/// One broker connection, seen through the contract: its publisher, subscriber, queues, streams and topology,
/// and the capabilities it declares.
/// </summary>
/// <remarks>
/// A transport is thread safe and meant to live as long as the application (a singleton). Disposing it stops its
/// consumers (as <see cref="IAsyncDisposable.DisposeAsync"/> of <see cref="IConsumer"/> does) and closes its connections; afterwards every operation
/// throws <see cref="ObjectDisposedException"/>. Disposing twice is harmless.
/// </remarks>
public interface ITransport : IAsyncDisposable
{
    /// <summary>The transport's name as used in <c>Messaging:Transport</c>, for example <c>InMemory</c>.</summary>
    string Name { get; }

    /// <summary>What this transport can do on every destination; the conformance suite and the library read it.</summary>
    TransportCapabilities Capabilities { get; }

    /// <summary>What this transport can do on one destination, where destinations differ (an SQS FIFO queue
    /// <c>orders.fifo</c> keeps order by key, a standard queue does not).</summary>
    /// <param name="destination">The topic, queue or stream, as passed to the contract.</param>
    /// <returns>The destination's capabilities: never less than <see cref="Capabilities"/>, possibly more. Adapters
    /// check requests against this value (see <see cref="Transport.CapabilityGuard"/>).</returns>
    /// <remarks>The default implementation returns <see cref="Capabilities"/>: every destination is alike. A transport
    /// whose destinations differ implements it; <see cref="Capabilities"/> then says what the least of them offers.</remarks>
    TransportCapabilities CapabilitiesOf(string destination) => Capabilities;

    /// <summary>Publishes to topics.</summary>
    IPublisher Publisher { get; }

    /// <summary>Subscribes to topics.</summary>
    ISubscriber Subscriber { get; }

    /// <summary>Sends to and consumes queues.</summary>
    IQueue Queue { get; }

    /// <summary>Appends to and reads streams; throws <see cref="CapabilityNotSupportedException"/> where
    /// <see cref="TransportCapabilities.Streams"/> is off.</summary>
    IStream Stream { get; }

    /// <summary>Creates and deletes destinations.</summary>
    ITopology Topology { get; }
}

using Messaging.Adapters.Transport;

namespace Messaging.Adapters;

/// <summary>
/// What a transport can do, declared by the transport itself. The library and the conformance suite read these
/// values; nothing a transport lacks is emulated behind the caller's back.
/// </summary>
public sealed record TransportCapabilities
{
    /// <summary>Whether <see cref="IStream"/> is offered.</summary>
    /// <value>Without it every <see cref="IStream"/> member throws <see cref="CapabilityNotSupportedException"/>.</value>
    public bool Streams { get; init; }

    /// <summary>Whether a stream can be read from a point in time (<see cref="StreamPosition.AtTime"/>).</summary>
    /// <value>Without it such a read throws <see cref="CapabilityNotSupportedException"/>.</value>
    public bool StreamStartAtTime { get; init; }

    /// <summary>Whether consumers can keep the order of messages that share a key (<see cref="MessageOrdering.ByKey"/>).</summary>
    /// <value>Without it a consumer asking for ordering does not start and <see cref="CapabilityNotSupportedException"/> is thrown.</value>
    public bool OrderingByKey { get; init; }

    /// <summary>Whether the broker itself holds a message until a delayed retry is due.</summary>
    /// <value>Without it delayed retries wait inside the consumer process, holding one in-flight slot and leaving the
    /// message unacknowledged until the retry (so a crash during the wait redelivers it).</value>
    public bool DelayedDelivery { get; init; }

    /// <summary>Whether subscription filters are applied by the broker, so unmatched messages never reach the consumer.</summary>
    /// <value>Without it the consumer applies the filter and acknowledges unmatched messages without calling the handler.</value>
    public bool ServerSideFiltering { get; init; }

    /// <summary>Whether messages survive a restart of the application process (the broker keeps them).</summary>
    /// <value>Without it (the in-memory transport) everything not yet handled is lost when the process ends.</value>
    public bool Durable { get; init; }

    /// <summary>Whether a queue can be counted and looked into without consuming it (the transport implements
    /// <see cref="IQueueInspector"/>): what <see cref="IDeadLetters.CountAsync"/> and <see cref="IDeadLetters.PeekAsync"/> need.</summary>
    /// <value>Without it counting and peeking throw <see cref="CapabilityNotSupportedException"/>;
    /// <see cref="IDeadLetters.RedriveAsync"/> still works, ending when no letter comes for its idle timeout or a kept
    /// letter comes round, instead of after the count it took at the start.</value>
    public bool QueueInspection { get; init; }

    /// <summary>Whether the broker removes a temporary queue (<see cref="DestinationNames.NewTemporaryQueue"/>, such as a
    /// <see cref="RequestClient"/>'s reply queue) by itself once the process that owns it is gone, crashed included
    /// (RabbitMQ: a classic queue with <c>x-expires</c>, deleted a while after its last consumer left; in-memory: it
    /// ends with the process). Such a transport never creates a temporary queue when a message is sent to it: a reply to
    /// an owner that is gone is dropped.</summary>
    /// <value>Without it (Kafka, SQS: neither expires an unused topic or queue) a temporary queue is an ordinary one:
    /// its owner deletes it when disposed, and one left by a crashed owner stays until an operator deletes it.</value>
    public bool TemporaryQueues { get; init; }

    /// <summary>The broker's name in telemetry: the OpenTelemetry attribute <c>messaging.system</c> on its consumers'
    /// spans and metrics (see <see cref="MessagingSystems"/>).</summary>
    /// <value>The default value is <see langword="null"/>: the transport's <see cref="ITransport.Name"/> in lowercase
    /// (<c>inmemory</c>). Not a capability; declared here because every consumer already reads these values.</value>
    public string? MessagingSystem { get; init; }

    /// <summary>The largest <see cref="Envelope.Body"/> accepted, in bytes; the transport keeps headroom for the
    /// envelope's metadata inside the broker's own limit.</summary>
    /// <value>A larger body is rejected before anything is sent with <see cref="MessageTooLargeException"/>.</value>
    public required int MaxMessageSize { get; init; }

    /// <summary>The longest delay the broker itself can hold a message for before a delayed retry (SQS: 15 minutes per
    /// message, 12 hours through the visibility timeout).</summary>
    /// <value><see langword="null"/> when there is no limit (the in-memory transport). A consumer whose retry policy
    /// can ask for a longer delay (see <see cref="CapabilityGuard.HoldsDelayedRetries"/>) has all its delayed retries
    /// wait in process, as without <see cref="DelayedDelivery"/>; nothing is refused.</value>
    public TimeSpan? MaxDelay { get; init; }

    /// <summary>The most messages one batch call (<see cref="IPublisher.PublishBatchAsync"/>, <see cref="IQueue.SendBatchAsync"/>,
    /// <see cref="IStream.AppendBatchAsync"/>) may carry (SQS and SNS: 10).</summary>
    /// <value><see langword="null"/> when there is no limit. A larger batch is refused whole, before anything is sent,
    /// with <see cref="BatchTooLargeException"/>; split it, or send the messages one by one.</value>
    public int? MaxBatchEntries { get; init; }

    /// <summary>The most body bytes one batch call may carry in total (SQS and SNS: 256 KiB to 1 MiB per request); like
    /// <see cref="MaxMessageSize"/>, only bodies count and the transport keeps headroom for the metadata.</summary>
    /// <value><see langword="null"/> when there is no limit. A larger batch is refused whole, before anything is sent,
    /// with <see cref="BatchTooLargeException"/>.</value>
    public int? MaxBatchBytes { get; init; }

    /// <summary>Throws <see cref="MessageTooLargeException"/> when a message's body is over <see cref="MaxMessageSize"/>.</summary>
    /// <param name="message">The message about to be sent.</param>
    /// <param name="destination">Where it was going, for the error message.</param>
    /// <exception cref="MessageTooLargeException">The body is too large.</exception>
    public void EnsureFits(Envelope message, string destination)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Body.Length > MaxMessageSize)
        {
            throw new MessageTooLargeException(MaxMessageSize, message.Body.Length, destination, message.Id);
        }
    }

    /// <summary>Checks a whole batch before any of it is sent, so that a bad message or an oversized batch sends
    /// nothing (the batch obligation of <see cref="IPublisher.PublishBatchAsync"/>, <see cref="IQueue.SendBatchAsync"/>
    /// and <see cref="IStream.AppendBatchAsync"/>).</summary>
    /// <param name="messages">The batch about to be sent.</param>
    /// <param name="destination">Where it was going, for the error message.</param>
    /// <exception cref="ArgumentException">A message of the batch is null; the message names its index.</exception>
    /// <exception cref="MessageTooLargeException">A body is too large (checked first, so the error names the message
    /// to fix).</exception>
    /// <exception cref="BatchTooLargeException">The batch has more than <see cref="MaxBatchEntries"/> messages or more
    /// than <see cref="MaxBatchBytes"/> body bytes.</exception>
    public void EnsureBatchFits(IReadOnlyList<Envelope> messages, string destination)
    {
        ArgumentNullException.ThrowIfNull(messages);
        long bytes = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i] ?? throw new ArgumentException($"The batch to '{destination}' has a null message at index {i}.", nameof(messages));
            EnsureFits(message, destination);
            bytes += message.Body.Length;
        }

        if (messages.Count > MaxBatchEntries)
        {
            throw new BatchTooLargeException(nameof(MaxBatchEntries), MaxBatchEntries.Value, messages.Count, destination);
        }

        if (bytes > MaxBatchBytes)
        {
            throw new BatchTooLargeException(nameof(MaxBatchBytes), MaxBatchBytes.Value, bytes, destination);
        }
    }
}

namespace Messaging.Adapters;

/// <summary>
/// Publishes messages to topics: every subscription of the topic gets its own copy.
/// </summary>
/// <remarks>
/// <para>Thread safe. A publish completes only when the transport has taken responsibility for the message
/// (the broker confirmed it); if it throws, the message may or may not have been delivered (an unknown outcome
/// is reported as <see cref="TransportUnavailableException"/>), so retrying can duplicate but never lose.</para>
/// <para>Publishing to a topic that has no subscription succeeds and the message reaches nobody; subscriptions
/// receive only messages published after they were created.</para>
/// <para>The envelope is checked before anything is sent: an invalid topic name throws
/// <see cref="ArgumentException"/>, a body over <see cref="TransportCapabilities.MaxMessageSize"/> throws
/// <see cref="MessageTooLargeException"/>.</para>
/// </remarks>
public interface IPublisher
{
    /// <summary>Publishes one message to a topic.</summary>
    /// <param name="topic">The topic name (see <see cref="DestinationNames.Rule"/>).</param>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the wait; the message may still be published.</param>
    /// <returns>A task that completes when the broker has confirmed the message.</returns>
    ValueTask PublishAsync(string topic, Envelope message, CancellationToken cancellationToken = default);

    /// <summary>Publishes several messages to a topic, in order.</summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="messages">The messages.</param>
    /// <param name="cancellationToken">Cancels the wait; some messages may still be published.</param>
    /// <returns>A task that completes when the broker has confirmed every message.</returns>
    /// <remarks>Every message is validated before any is sent. The batch is not atomic: if sending fails part way,
    /// <see cref="BatchPublishException"/> lists the ids whose outcome is not confirmed.</remarks>
    ValueTask PublishBatchAsync(string topic, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default);
}

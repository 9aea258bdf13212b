namespace Messaging.Adapters.Transport;

/// <summary>
/// Looks into a queue without consuming it: how many messages it holds, and the first of them. A transport that
/// declares <see cref="TransportCapabilities.QueueInspection"/> implements it (on the <see cref="ITransport"/> object
/// itself), each with its broker's own means; <see cref="IDeadLetters"/> is built on it.
/// </summary>
/// <remarks>
/// <para>Obligations: neither call may remove, reorder for good, settle or dead-letter a message, nor count towards a
/// delivery limit that could move one; whatever a peek takes from the broker goes back before the call returns. Both
/// are safe while consumers read the queue (a message a consumer holds is not seen), and neither creates the queue.</para>
/// <para>Where the broker only estimates (SQS), <see cref="QueueCount.IsApproximate"/> says so and a peek may see
/// fewer messages than the queue holds; nothing is made up.</para>
/// </remarks>
public interface IQueueInspector
{
    /// <summary>Counts the messages a queue holds that no consumer has finished.</summary>
    /// <param name="queue">The queue (a dead-letter queue, a subscription queue, ...).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The count; <see cref="QueueCount.Missing"/> when the queue does not exist.</returns>
    Task<QueueCount> CountAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>Reads up to <paramref name="max"/> messages of a queue, first ones first, leaving them in it.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="max">The most messages to return, 1 to 1000.</param>
    /// <param name="cancellationToken">Cancels the call; what was taken from the broker goes back all the same.</param>
    /// <returns>The messages, each once; empty when the queue is empty or does not exist.</returns>
    Task<IReadOnlyList<Envelope>> PeekAsync(string queue, int max, CancellationToken cancellationToken = default);
}

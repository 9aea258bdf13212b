namespace Messaging.Adapters;

/// <summary>
/// What an operator does with dead-letter queues: count and look at them without consuming them, and re-send their
/// letters to where they failed, some or all, optionally filtered, with a result. Registered by <c>AddMessaging</c>
/// on every transport.
/// </summary>
/// <remarks>
/// <para>Counting and peeking need <see cref="TransportCapabilities.QueueInspection"/>; without it they throw
/// <see cref="CapabilityNotSupportedException"/>. Each transport does it with the broker's own means: exact on the
/// in-memory transport, RabbitMQ (the queue's ready messages) and Kafka (the end offsets less the dead-letter queue's
/// reader group's position); estimated on SQS (<see cref="QueueCount.IsApproximate"/>), where a peek may also see fewer
/// letters than the queue holds.</para>
/// <para>A redrive never loses a letter: a letter it does not re-send stays in the dead-letter queue with its id and
/// headers, and a run always ends (it takes at most what the queue held when it started).</para>
/// </remarks>
public interface IDeadLetters
{
    /// <summary>Counts the letters in a dead-letter queue, without consuming them.</summary>
    /// <param name="deadLetterQueue">The dead-letter queue, for example <c>DestinationNames.DeadLetterQueue("payments")</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The count; <see cref="QueueCount.Exists"/> is <see langword="false"/> when the queue was never created.</returns>
    /// <exception cref="CapabilityNotSupportedException">The transport has no <see cref="TransportCapabilities.QueueInspection"/>.</exception>
    Task<QueueCount> CountAsync(string deadLetterQueue, CancellationToken cancellationToken = default);

    /// <summary>Reads up to <paramref name="max"/> letters of a dead-letter queue, leaving them in it.</summary>
    /// <param name="deadLetterQueue">The dead-letter queue.</param>
    /// <param name="max">The most letters to return, 1 to 1000.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The letters, first ones first, with their reason, source and attempts.</returns>
    /// <exception cref="CapabilityNotSupportedException">The transport has no <see cref="TransportCapabilities.QueueInspection"/>.</exception>
    Task<IReadOnlyList<DeadLetter>> PeekAsync(string deadLetterQueue, int max = 100, CancellationToken cancellationToken = default);

    /// <summary>Re-sends letters of a dead-letter queue to the queue or subscription each failed in: up to
    /// <see cref="DeadLetterRedriveOptions.MaxMessages"/>, or all, those matching the options' filters; every other
    /// letter stays in the dead-letter queue.</summary>
    /// <param name="deadLetterQueue">The dead-letter queue.</param>
    /// <param name="options">How many and which; <see langword="null"/> for every letter.</param>
    /// <param name="cancellationToken">Stops the run; what it re-sent so far stays re-sent, the rest stays in the queue.</param>
    /// <returns>Which letters were re-sent, which were kept and why, and why the run ended.</returns>
    Task<DeadLetterRedriveResult> RedriveAsync(string deadLetterQueue, DeadLetterRedriveOptions? options = null, CancellationToken cancellationToken = default);
}

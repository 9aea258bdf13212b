namespace Messaging.Adapters;

/// <summary>
/// Re-sends dead letters to the queue they came from, once the cause of their failure has been fixed.
/// </summary>
/// <remarks>
/// <para>One model on every transport: a re-sent message goes back to the one queue or subscription it failed in,
/// and to no other. A dead-letter queue is an ordinary queue: this reads it with <see cref="IQueue.ConsumeAsync"/>
/// and sends each message back to <see cref="EnvelopeHeaders.DeadLetterSource"/> (a queue, or a subscription's
/// queue, which only that subscription reads) with the dead-letter headers removed and the same id.</para>
/// <para>A stream reader group's dead letters (<see cref="EnvelopeHeaders.DeadLetterReaderGroup"/>) are refused: a
/// stream has no way to deliver a message to one reader group only, and appending it again would deliver it to
/// every group. Such a message is still in the stream. A refused letter stays in the dead-letter queue: there are no
/// dead letters of dead letters (<see cref="Transport.DeadLetterQueues.TargetOf"/>).</para>
/// <para>For a redrive of some letters, or of all with a result saying which, use <see cref="IDeadLetters.RedriveAsync"/>.</para>
/// </remarks>
public static class DeadLetterRedrive
{
    /// <summary>A handler that re-sends each dead letter it receives to its source queue.</summary>
    /// <param name="queue">The transport's queues.</param>
    /// <returns>The handler. It refuses a stream reader group's letter and one without a valid source by throwing
    /// <see cref="DeadLetterException"/> with the reason; from a consumer of the dead-letter queue, the letter then stays
    /// in that queue with this reason as its <see cref="EnvelopeHeaders.DeadLetterReason"/> and its original source.</returns>
    /// <remarks>Changed: a refused letter used to go to the dead-letter queue's own dead-letter queue
    /// (<c>&lt;queue&gt;.dead-letter.dead-letter</c>); it now stays where it is. A consumer that keeps running this
    /// handler meets a refused letter again and again; <see cref="StartAsync"/> and <see cref="IDeadLetters.RedriveAsync"/> do not.</remarks>
    public static MessageHandler CreateHandler(IQueue queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return async (message, cancellationToken) =>
        {
            var letter = new DeadLetter(message.Envelope);
            if (letter.RedriveRefusal is { } refusal)
            {
                throw new DeadLetterException(refusal);
            }

            await queue.SendAsync(letter.Source!, letter.ToRedriven(), cancellationToken).ConfigureAwait(false);
        };
    }

    /// <summary>Starts re-sending every message of a dead-letter queue to its source, until the returned consumer is stopped.</summary>
    /// <param name="queue">The transport's queues.</param>
    /// <param name="deadLetterQueue">The dead-letter queue, for example <c>DestinationNames.DeadLetterQueue("payments")</c>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running consumer.</returns>
    /// <remarks>It runs bounded redrives one after the other (those of <see cref="IDeadLetters.RedriveAsync"/>, without
    /// a filter): letters it refuses stay in the queue and are looked at again by a later run, at most once every 10
    /// seconds, rather than taken in a loop.</remarks>
    public static Task<IConsumer> StartAsync(IQueue queue, string deadLetterQueue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        DestinationNames.Validate(deadLetterQueue, "queue", nameof(deadLetterQueue));
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IConsumer>(new RedriveLoop(queue, deadLetterQueue));
    }
}

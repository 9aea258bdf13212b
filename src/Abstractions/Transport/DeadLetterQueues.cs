namespace Messaging.Adapters.Transport;

/// <summary>
/// Where a consumer's dead letters go: the one rule every adapter's <see cref="IDeliveryReceiver{TDelivery}.DeadLetterAsync"/>
/// and topology follow.
/// </summary>
public static class DeadLetterQueues
{
    /// <summary>The queue the dead letters of <paramref name="source"/> go to: <c>&lt;source&gt;.dead-letter</c>, but a
    /// dead-letter queue's own letters stay in it.</summary>
    /// <param name="source">The queue, subscription queue or reader group source a message failed in.</param>
    /// <returns>The dead-letter queue to send the dead letter to.</returns>
    /// <remarks>There are no dead letters of dead letters: a letter that fails in a consumer of a dead-letter queue (a
    /// redrive that cannot send it, an operator's handler that throws) goes back into that same queue with the new
    /// reason, keeping its original source (see <see cref="HandlerPipeline.ToDeadLetter"/>), so an adapter never
    /// creates <c>&lt;queue&gt;.dead-letter.dead-letter</c>, and no letter is lost or moved out of sight.</remarks>
    public static string TargetOf(string source) =>
        DestinationNames.IsDeadLetterQueue(source) ? source : DestinationNames.DeadLetterQueue(source);

    /// <summary>Whether declaring <paramref name="queue"/> also declares a dead-letter queue for it: every queue but a
    /// dead-letter queue.</summary>
    /// <param name="queue">The queue being declared.</param>
    /// <returns><see langword="false"/> for a dead-letter queue.</returns>
    public static bool HasOwn(string queue) => !DestinationNames.IsDeadLetterQueue(queue);
}

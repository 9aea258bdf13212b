namespace Messaging.Adapters;

/// <summary>
/// How many messages a queue holds, as its broker counts them.
/// </summary>
/// <param name="Messages">The messages waiting, plus (where the broker counts them together) those a consumer holds
/// unsettled; 0 when the queue does not exist.</param>
/// <param name="IsApproximate">Whether the broker only estimates the number (SQS: <c>ApproximateNumberOfMessages</c>
/// and <c>...NotVisible</c>, eventually consistent, may lag by a minute).</param>
/// <param name="Exists">Whether the queue exists on the broker.</param>
public readonly record struct QueueCount(long Messages, bool IsApproximate = false, bool Exists = true)
{
    /// <summary>The count of a queue that does not exist: 0 messages, exact.</summary>
    public static QueueCount Missing => new(0, IsApproximate: false, Exists: false);
}

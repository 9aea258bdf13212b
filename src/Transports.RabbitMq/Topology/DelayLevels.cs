using System.Globalization;

namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// The fixed ladder of delays a delayed retry can wait for: one shared delay queue per level and virtual host,
/// whatever the number of queues and distinct delays.
/// </summary>
/// <remarks>
/// A delay is rounded up to the smallest level that is not shorter, so a retry never comes back before the policy's
/// delay, and at most 2.5 times later (2.5 s waits 5 s). Delays beyond the last level wait the last level; a
/// <see cref="RetryPolicy"/> caps delays at one day, the last level.
/// </remarks>
internal static class DelayLevels
{
    /// <summary>The levels, shortest first: a 1-2-5-like series that keeps the rounding within 2.5 times while
    /// staying at 21 queues; the sub-second levels keep short test and polling delays short.</summary>
    public static IReadOnlyList<DelayLevel> All { get; } =
    [
        .. new[] { 100, 250, 500 }.Select(ms => DelayLevel.Of(TimeSpan.FromMilliseconds(ms))),
        .. new[] { 1, 2, 5, 10, 20, 30 }.Select(s => DelayLevel.Of(TimeSpan.FromSeconds(s))),
        .. new[] { 1, 2, 5, 10, 20, 30 }.Select(m => DelayLevel.Of(TimeSpan.FromMinutes(m))),
        .. new[] { 1, 2, 4, 8, 12, 24 }.Select(h => DelayLevel.Of(TimeSpan.FromHours(h))),
    ];

    /// <summary>The level a delay waits in: the shortest level at least as long as <paramref name="delay"/>.</summary>
    /// <param name="delay">The delay the retry policy asked for.</param>
    /// <returns>The level; the last one for longer delays.</returns>
    public static DelayLevel For(TimeSpan delay)
    {
        foreach (var level in All)
        {
            if (level.Delay >= delay)
            {
                return level;
            }
        }

        return All[^1];
    }
}

/// <summary>One delay level: a fanout exchange and a queue, both named <see cref="Name"/>, whose message TTL is the
/// level's delay.</summary>
/// <param name="Delay">How long a message waits in the level's queue.</param>
/// <param name="Name">The exchange's and the queue's name, for example <c>messaging.delay.5s</c>.</param>
internal sealed record DelayLevel(TimeSpan Delay, string Name)
{
    /// <summary>The level's TTL in milliseconds (<c>x-message-ttl</c>).</summary>
    public long Milliseconds => (long)Delay.TotalMilliseconds;

    /// <summary>The level of a delay, named by its largest whole unit.</summary>
    public static DelayLevel Of(TimeSpan delay) => new(delay, TopologyNames.DelayLevelPrefix + Label(delay));

    private static string Label(TimeSpan delay) => delay switch
    {
        { TotalHours: >= 1 } when delay.TotalHours % 1 == 0 => Format(delay.TotalHours, "h"),
        { TotalMinutes: >= 1 } when delay.TotalMinutes % 1 == 0 => Format(delay.TotalMinutes, "min"),
        { TotalSeconds: >= 1 } when delay.TotalSeconds % 1 == 0 => Format(delay.TotalSeconds, "s"),
        _ => Format(delay.TotalMilliseconds, "ms"),
    };

    private static string Format(double value, string unit) => value.ToString("0", CultureInfo.InvariantCulture) + unit;
}

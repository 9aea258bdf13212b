using Messaging.Adapters.RabbitMq.Topology;

namespace Messaging.Adapters.RabbitMq.Tests.Unit;

/// <summary>The ladder of shared delay levels, without a broker.</summary>
public sealed class DelayLevelsTests
{
    [Theory]
    [InlineData(1, "messaging.delay.100ms")]
    [InlineData(100, "messaging.delay.100ms")]
    [InlineData(101, "messaging.delay.250ms")]
    [InlineData(1_000, "messaging.delay.1s")]
    [InlineData(2_001, "messaging.delay.5s")]
    [InlineData(45_000, "messaging.delay.1min")]
    [InlineData(3_600_000, "messaging.delay.1h")]
    [InlineData(86_400_000, "messaging.delay.24h")]
    [InlineData(100_000_000, "messaging.delay.24h")]
    public void A_delay_waits_in_the_shortest_level_not_shorter_than_it(long milliseconds, string level) =>
        Assert.Equal(level, DelayLevels.For(TimeSpan.FromMilliseconds(milliseconds)).Name);

    [Fact]
    public void The_ladder_is_fixed_ascending_and_rounds_up_by_at_most_two_and_a_half_times()
    {
        var levels = DelayLevels.All;
        Assert.Equal(21, levels.Count);
        Assert.Equal(levels.Count, levels.Select(l => l.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(TimeSpan.FromDays(1), levels[^1].Delay);
        for (var i = 1; i < levels.Count; i++)
        {
            Assert.True(levels[i].Delay > levels[i - 1].Delay, $"{levels[i].Name} must be longer than {levels[i - 1].Name}.");
            Assert.True(levels[i].Delay <= levels[i - 1].Delay * 2.5, $"{levels[i].Name} is more than 2.5 times {levels[i - 1].Name}.");
        }
    }
}

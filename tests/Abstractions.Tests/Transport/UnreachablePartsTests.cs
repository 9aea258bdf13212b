using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Tests.Transport;

public sealed class UnreachablePartsTests
{
    [Fact]
    public void Reachable_until_a_part_is_marked_then_every_marked_part_is_listed_in_order_with_its_reason()
    {
        var parts = new UnreachableParts();
        Assert.Equal(new TransportHealth(true, "all good"), parts.Describe("all good", "down: "));

        parts.Mark("SQS at b", "no answer (refused)");
        parts.Mark("SNS at a", "no answer (timeout)");
        parts.Mark("SQS at b", "no answer (reset)");

        Assert.True(parts.Contains("SQS at b"));
        Assert.Equal(new TransportHealth(false, "down: SNS at a: no answer (timeout); SQS at b: no answer (reset)."), parts.Describe("all good", "down: "));

        parts.Clear("SNS at a");
        parts.Clear("never marked");
        Assert.Equal(new TransportHealth(false, "down: SQS at b: no answer (reset)."), parts.Describe("all good", "down: "));
        parts.Clear("SQS at b");
        Assert.False(parts.Contains("SQS at b"));
        Assert.True(parts.Describe("all good", "down: ").IsReachable);
    }
}

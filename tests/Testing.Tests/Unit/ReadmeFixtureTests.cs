namespace Messaging.Adapters.Testing.Tests.Unit;

/// <summary>The README's fixture subclass pins its transport without starting anything.</summary>
public sealed class ReadmeFixtureTests
{
    [Fact]
    public void The_README_s_Kafka_fixture_pins_Kafka() => Assert.Equal("Kafka", new Shop.Tests.KafkaBroker().Transport);
}

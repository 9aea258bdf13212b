using Messaging.Adapters.Testing;
using Messaging.Adapters.Testing.Xunit;

namespace Shop.Tests;

/// <summary>A fixture that always starts Kafka, from an image of the team's choosing.</summary>
public sealed class KafkaBroker : MessagingBrokerFixture
{
    public override string Transport => "Kafka";

    protected override MessagingBrokerOptions CreateOptions() => new() { KafkaImage = "apache/kafka:3.9.1" };
}

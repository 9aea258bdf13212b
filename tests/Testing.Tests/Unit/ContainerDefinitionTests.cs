using DotNet.Testcontainers.Containers;
using Messaging.Adapters.Testing.Brokers;
using Messaging.Adapters.Testing.Cleanup;
using Testcontainers.Kafka;
using Testcontainers.LocalStack;
using Testcontainers.RabbitMq;

namespace Messaging.Adapters.Testing.Tests.Unit;

/// <summary>
/// The containers each broker defines, built but not started (their upstream images cannot be pulled here): the
/// Testcontainers module, the image and the owner label that lets orphans be removed without Ryuk.
/// </summary>
public sealed class ContainerDefinitionTests
{
    [Theory]
    [InlineData("RabbitMq", "example/rabbitmq:1", typeof(RabbitMqContainer))]
    [InlineData("Kafka", "registry.example/confluentinc/cp-kafka:7.5.12", typeof(KafkaContainer))]
    [InlineData("Kafka", "apache/kafka:3.9.1", typeof(KafkaContainer))]
    [InlineData("Aws", "example/localstack:1", typeof(LocalStackContainer))]
    public async Task Each_broker_builds_its_module_container_with_the_image_and_the_owner_label(
        string transport, string image, Type containerType)
    {
        var labels = new Dictionary<string, string> { [ContainerOwner.Label] = ContainerOwner.Current.LabelValue };

        var container = BrokerDefinitions.For(transport).Create(image, 40000, labels);
        await using (container)
        {
            Assert.IsType(containerType, container);
            Assert.Equal(image, container.Image.FullName);
            Assert.Equal(TestcontainersStates.Undefined, container.State);
        }
    }

    [Fact]
    public void The_owner_label_names_this_machine_and_process_and_parses_back()
    {
        var owner = ContainerOwner.Current;

        Assert.Equal(owner, ContainerOwner.Parse(owner.LabelValue));
        Assert.Equal(Environment.ProcessId, owner.ProcessId);
        Assert.False(owner.IsGoneFromThisMachine());
    }

    [Fact]
    public void A_live_owner_whose_start_time_another_process_reads_a_few_milliseconds_apart_is_not_gone()
    {
        // Each process derives boot time from its own clock reading: this is how another test process sees this one.
        var current = ContainerOwner.Current;

        Assert.False((current with { ProcessStartTicks = current.ProcessStartTicks + TimeSpan.FromMilliseconds(3).Ticks }).IsGoneFromThisMachine());
        Assert.False((current with { ProcessStartTicks = current.ProcessStartTicks - TimeSpan.FromMilliseconds(3).Ticks }).IsGoneFromThisMachine());
    }

    [Fact]
    public void An_owner_whose_process_is_gone_or_reused_is_gone_and_one_on_another_machine_is_never_judged()
    {
        var current = ContainerOwner.Current;

        Assert.True((current with { ProcessStartTicks = current.ProcessStartTicks + TimeSpan.FromMinutes(1).Ticks }).IsGoneFromThisMachine());
        Assert.True((current with { ProcessId = int.MaxValue }).IsGoneFromThisMachine());
        Assert.False((current with { Machine = current.Machine + "-elsewhere", ProcessId = int.MaxValue }).IsGoneFromThisMachine());
        Assert.Null(ContainerOwner.Parse("not-an-owner"));
    }
}

using System.Diagnostics;
using Confluent.Kafka;
using Messaging.Adapters.Integration.Transports.Kafka;

namespace Messaging.Adapters.Kafka.Tests.Broker;

/// <summary>
/// With <see cref="KafkaTransportOptions.ProvisionOnFirstUse"/> off, a missing topic is an error at once that names it
/// and the setting, never a wait for the producer's message timeout, and nothing creates the topic.
/// </summary>
public sealed class ProvisioningTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_provisioning_a_send_a_publish_and_a_consume_of_a_missing_topic_fail_at_once_naming_it()
    {
        await using var transport = new KafkaTransport(new KafkaTransportOptions
        {
            BootstrapServers = KafkaTestCluster.Bootstrap(),
            ClientId = "provisioning-tests",
            ProvisionOnFirstUse = false,
        });
        var name = $"missing-{Guid.NewGuid():N}"[..24];
        var message = new Envelope("tests.missing", new byte[] { 1 });
        var watch = Stopwatch.StartNew();

        var send = await Assert.ThrowsAsync<KafkaTopicNotFoundException>(async () => await transport.Queue.SendAsync(name, message, Ct));
        var publish = await Assert.ThrowsAsync<KafkaTopicNotFoundException>(async () => await transport.Publisher.PublishAsync(name, message, Ct));
        var consume = await Assert.ThrowsAsync<KafkaTopicNotFoundException>(async () => await transport.Queue.ConsumeAsync(name, (_, _) => ValueTask.CompletedTask, null, Ct));

        Assert.All([send, publish, consume], error =>
        {
            Assert.Equal(name, error.Topic);
            Assert.Contains($"'{name}'", error.Message, StringComparison.Ordinal);
            Assert.Contains("Messaging:Kafka:ProvisionOnFirstUse", error.Message, StringComparison.Ordinal);
        });
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"The errors took {watch.Elapsed.TotalSeconds:0.0} s: the producer's message timeout must not be waited out.");
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = KafkaTestCluster.Bootstrap() }).Build();
        Assert.DoesNotContain(admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == name && !t.Error.IsError);
    }

    [Fact]
    public async Task Without_provisioning_a_topic_created_beforehand_is_used()
    {
        var options = new KafkaTransportOptions { BootstrapServers = KafkaTestCluster.Bootstrap(), ClientId = "provisioning-tests", SessionTimeout = TimeSpan.FromSeconds(3) };
        var name = $"made-{Guid.NewGuid():N}"[..24];
        await using (var provisioning = new KafkaTransport(options))
        {
            await provisioning.Topology.EnsureAsync(Destination.Queue(name), Ct);
        }

        options.ProvisionOnFirstUse = false;
        await using var transport = new KafkaTransport(options);
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await transport.Queue.ConsumeAsync(name, (m, _) =>
        {
            received.TrySetResult(m.Envelope.Id);
            return ValueTask.CompletedTask;
        }, null, Ct);
        var message = new Envelope("tests.made", new byte[] { 1 });
        await transport.Queue.SendAsync(name, message, Ct);

        Assert.Equal(message.Id, await received.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }
}

namespace Messaging.Adapters.Testing.Tests.Containers;

/// <summary>Starting through the package by name, the image override, and disposal removing the container.</summary>
public sealed class BrokerLifecycleTests
{
    [Fact]
    public async Task A_RabbitMq_broker_runs_the_image_named_by_the_environment_and_is_removed_when_disposed()
    {
        var ct = TestContext.Current.CancellationToken;
        var image = Environment.GetEnvironmentVariable(MessagingBrokerOptions.RabbitMqImageVariable);
        Assert.False(
            string.IsNullOrEmpty(image),
            $"{MessagingBrokerOptions.RabbitMqImageVariable} is not set: these tests run the image eng/brokers/containers.sh builds (see containers.runsettings).");

        var broker = await MessagingBroker.StartAsync("rabbitmq", cancellationToken: ct);
        string containerId;
        try
        {
            containerId = broker.ContainerId;
            Assert.Equal("RabbitMq", broker.Transport);
            Assert.Equal(image, broker.Image);
            Assert.True(await EngineContainers.ExistsAsync(containerId, ct));
            var uri = new Uri(broker.Settings["Messaging:RabbitMq:Uri"]!);
            Assert.Equal("amqp", uri.Scheme);
            Assert.NotEqual(5672, uri.Port); // never the shared host broker
            Assert.Equal("RabbitMq", broker.Configuration["Messaging:Transport"]);
        }
        finally
        {
            await broker.DisposeAsync();
        }

        Assert.False(await EngineContainers.ExistsAsync(containerId, ct), $"container {containerId} still exists after DisposeAsync");
        await broker.DisposeAsync(); // a second disposal does nothing
    }
}

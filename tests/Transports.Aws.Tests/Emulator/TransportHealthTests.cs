using System.Net;
using System.Net.Sockets;
using Messaging.Adapters.Aws.Tests.Support;

namespace Messaging.Adapters.Aws.Tests.Emulator;

/// <summary>
/// <see cref="Transport.ITransportHealth"/> on AWS, from the requests the transport makes: an endpoint that refuses
/// connections makes it unreachable, naming the endpoint and the service; the running emulator keeps it reachable
/// through sends, publishes and a consumer's long polls.
/// </summary>
public sealed class TransportHealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_endpoint_that_refuses_connections_makes_the_transport_unreachable_naming_it()
    {
        var refusing = new Uri($"http://127.0.0.1:{ClosedPort()}/");
        await using var transport = EmulatorTransport.Create(options =>
        {
            options.ServiceUrl = refusing;
            options.MaxErrorRetry = 0;
        });
        var before = transport.CurrentHealth;
        Assert.True(before.IsReachable, "a transport that has made no request counts as reachable: " + before.Description);

        var queue = EmulatorTransport.UniqueName("health");
        await Assert.ThrowsAnyAsync<Exception>(async () => await transport.Queue.SendAsync(queue, new Envelope("tests.health", "1"u8.ToArray()), Ct));
        var afterSend = transport.CurrentHealth;
        Assert.False(afterSend.IsReachable, afterSend.Description);
        Assert.Contains("SQS at " + refusing, afterSend.Description, StringComparison.Ordinal);

        await Assert.ThrowsAnyAsync<Exception>(async () => await transport.Publisher.PublishAsync(EmulatorTransport.UniqueName("health"), new Envelope("tests.health", "2"u8.ToArray()), Ct));
        var afterPublish = transport.CurrentHealth;
        Assert.False(afterPublish.IsReachable, afterPublish.Description);
        Assert.Contains("SNS at " + refusing, afterPublish.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_running_emulator_keeps_the_transport_reachable_through_sends_publishes_and_long_polls()
    {
        await using var transport = EmulatorTransport.Create(options => options.ReceiveWaitTime = TimeSpan.FromSeconds(1));
        var queue = EmulatorTransport.UniqueName("health");
        var topic = EmulatorTransport.UniqueName("health");
        try
        {
            var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (await transport.Queue.ConsumeAsync(queue, (_, _) =>
            {
                handled.TrySetResult();
                return ValueTask.CompletedTask;
            }, cancellationToken: Ct))
            {
                await transport.Queue.SendAsync(queue, new Envelope("tests.health", "1"u8.ToArray()), Ct);
                await transport.Publisher.PublishAsync(topic, new Envelope("tests.health", "2"u8.ToArray()), Ct);
                await handled.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

                // Let a few empty long polls go by: an answer with no message is an answer.
                await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
                var health = transport.CurrentHealth;
                Assert.True(health.IsReachable, health.Description);
                Assert.Contains(EmulatorTransport.Endpoint.ToString(), health.Description, StringComparison.Ordinal);
            }
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), Ct);
            await transport.Topology.DeleteAsync(Destination.Topic(topic), Ct);
        }
    }

    /// <summary>A local port nothing listens on: bound, read and released, so a connection to it is refused.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

using Messaging.Adapters.Diagnostics;
using Messaging.Adapters.Hosting;
using Messaging.Adapters.Tests.TestDoubles;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Messaging.Adapters.Tests.Hosting;

/// <summary>
/// <c>AddHealthChecks().AddMessaging()</c>: the transport's reachability and the hosted consumers' state, with the
/// ready and live tags.
/// </summary>
public sealed class HealthCheckTests
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Running_consumers_are_healthy_and_a_failed_one_is_degraded_while_it_waits_for_its_restart()
    {
        var consumer = new RecordingQueue.RecordingConsumer();
        using var host = BuildHost(
            new ConsumerRegistration("queue 'billing'", (_, _, _) => Task.FromResult<IConsumer>(consumer)),
            ("Messaging:ConsumerFailure", "Restart"),
            ("Messaging:ConsumerRestartDelay", "00:01:00"));
        var checks = host.Services.GetRequiredService<HealthCheckService>();

        var before = await checks.CheckHealthAsync(TestToken);
        Assert.Equal(HealthStatus.Unhealthy, before.Entries["messaging-consumers"].Status);

        await host.StartAsync(TestToken);
        var running = await checks.CheckHealthAsync(TestToken);
        Assert.Equal(HealthStatus.Healthy, running.Status);
        Assert.Equal("Running", running.Entries["messaging-consumers"].Data["queue 'billing'"]);

        consumer.Die(new InvalidOperationException("queue 'billing' was deleted"));
        var degraded = await WaitForAsync(checks, "messaging-consumers", HealthStatus.Degraded);
        Assert.Contains("queue 'billing'", degraded.Description, StringComparison.Ordinal);
        Assert.Equal("Restarting: queue 'billing' was deleted", degraded.Data["queue 'billing'"]);

        await host.StopAsync(TestToken);
    }

    [Fact]
    public async Task A_consumer_that_failed_for_good_is_unhealthy_and_only_the_consumers_check_is_tagged_live()
    {
        var consumer = new RecordingQueue.RecordingConsumer();
        using var host = BuildHost(new ConsumerRegistration("queue 'orders'", (_, _, _) => Task.FromResult<IConsumer>(consumer)));
        var checks = host.Services.GetRequiredService<HealthCheckService>();
        await host.StartAsync(TestToken);

        consumer.Die(new InvalidOperationException("queue 'orders' was deleted"));
        var failed = await WaitForAsync(checks, "messaging-consumers", HealthStatus.Unhealthy);
        Assert.Contains("queue 'orders'", failed.Description, StringComparison.Ordinal);

        var live = await checks.CheckHealthAsync(c => c.Tags.Contains(MessagingHealthChecksBuilderExtensions.LiveTag), TestToken);
        Assert.Equal(["messaging-consumers"], live.Entries.Keys);
        var ready = await checks.CheckHealthAsync(c => c.Tags.Contains(MessagingHealthChecksBuilderExtensions.ReadyTag), TestToken);
        Assert.Equal(["messaging-consumers", "messaging-transport"], ready.Entries.Keys.Order(StringComparer.Ordinal));
        await host.StopAsync(TestToken);
    }

    [Theory]
    [InlineData(true, HealthStatus.Healthy)]
    [InlineData(false, HealthStatus.Unhealthy)]
    public async Task The_transport_check_reports_what_the_transport_knows_of_its_broker(bool reachable, HealthStatus expected)
    {
        await using var transport = new ReportingTransport(new TransportHealth(reachable, "broker at test:1: the publishing connection is down"));
        var check = new TransportHealthCheck(transport);
        var registration = new HealthCheckRegistration("messaging-transport", check, HealthStatus.Unhealthy, null);

        var result = await check.CheckHealthAsync(new HealthCheckContext { Registration = registration }, TestToken);

        Assert.Equal(expected, result.Status);
        Assert.Equal("broker at test:1: the publishing connection is down", result.Description);
    }

    private static async Task<HealthReportEntry> WaitForAsync(HealthCheckService checks, string name, HealthStatus status)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (true)
        {
            var entry = (await checks.CheckHealthAsync(TestToken)).Entries[name];
            if (entry.Status == status || DateTime.UtcNow > deadline)
            {
                Assert.Equal(status, entry.Status);
                return entry;
            }

            await Task.Delay(20, TestToken);
        }
    }

    private static IHost BuildHost(ConsumerRegistration registration, params (string Key, string Value)[] values)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(values.Prepend(("Messaging:Transport", "InMemory")).Select(v => new KeyValuePair<string, string?>(v.Item1, v.Item2)));
        builder.Services.AddMessaging(builder.Configuration);
        builder.Services.AddSingleton(registration);
        builder.Services.AddHealthChecks().AddMessaging();
        return builder.Build();
    }

    /// <summary>A transport that reports a fixed reachability; nothing else of it is used.</summary>
    private sealed class ReportingTransport(TransportHealth health) : ITransport, ITransportHealth
    {
        private readonly InMemory.InMemoryTransport _inner = new();

        public TransportHealth CurrentHealth => health;

        public string Name => "Reporting";

        public TransportCapabilities Capabilities => _inner.Capabilities;

        public IPublisher Publisher => _inner.Publisher;

        public ISubscriber Subscriber => _inner.Subscriber;

        public IQueue Queue => _inner.Queue;

        public IStream Stream => _inner.Stream;

        public ITopology Topology => _inner.Topology;

        public ValueTask DisposeAsync()
        {
            _inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

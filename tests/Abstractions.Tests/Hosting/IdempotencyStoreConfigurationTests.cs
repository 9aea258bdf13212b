using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static Messaging.Adapters.Tests.Hosting.TypedConsumerTests;

namespace Messaging.Adapters.Tests.Hosting;

/// <summary>
/// <c>Messaging:Idempotency</c> chooses the store of idempotent consumers; the directory store de-duplicates across
/// hosts and restarts.
/// </summary>
public sealed class IdempotencyStoreConfigurationTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "idempotency-hosts-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void The_store_is_in_memory_by_default_and_a_directory_by_configuration()
    {
        using var byDefault = BuildHost(_ => { });
        Assert.IsType<InMemoryIdempotencyStore>(byDefault.Services.GetRequiredService<IIdempotencyStore>());

        using var configured = BuildHost(_ => { }, ("Messaging:Idempotency:Store", "directory"), ("Messaging:Idempotency:Directory", _directory), ("Messaging:Idempotency:Retention", "2.00:00:00"));
        var store = Assert.IsType<DirectoryIdempotencyStore>(configured.Services.GetRequiredService<IIdempotencyStore>());
        Assert.Equal(Path.GetFullPath(_directory), store.Directory);
        Assert.True(Directory.Exists(_directory));
    }

    [Fact]
    public void A_store_the_application_registers_wins_over_the_configuration()
    {
        var own = new InMemoryIdempotencyStore();
        using var before = BuildHost(services => services.AddSingleton<IIdempotencyStore>(own), ("Messaging:Idempotency:Store", "Directory"), ("Messaging:Idempotency:Directory", _directory));
        Assert.Same(own, before.Services.GetRequiredService<IIdempotencyStore>());

        var services = new ServiceCollection();
        services.AddSingleton<IIdempotencyStore>(own);
        services.AddMessaging(new ConfigurationBuilder().AddInMemoryCollection([new("Messaging:Transport", "InMemory"), new("Messaging:Idempotency:Store", "Directory")]).Build());
        using var provider = services.BuildServiceProvider();
        Assert.Same(own, provider.GetRequiredService<IIdempotencyStore>());
    }

    [Fact]
    public async Task A_directory_store_without_its_directory_or_with_bad_periods_stops_start_up_naming_the_keys()
    {
        using var host = BuildHost(
            services => services.AddQueueConsumer<OrderPlaced, OrderHandler>("orders"),
            ("Messaging:Idempotency:Store", "Directory"),
            ("Messaging:Idempotency:Retention", "00:00:00"),
            ("Messaging:Idempotency:ClaimLease", "2.00:00:00"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestToken));

        Assert.Contains("Messaging:Idempotency:Directory is required when Messaging:Idempotency:Store is Directory", error.Message, StringComparison.Ordinal);
        Assert.Contains("Messaging:Idempotency:Retention must be 00:00:01..365.00:00:00, was 00:00:00.", error.Message, StringComparison.Ordinal);
        Assert.Contains("Messaging:Idempotency:ClaimLease must be 00:00:01..1.00:00:00, was 2.00:00:00.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_that_cannot_be_written_stops_start_up_naming_the_key()
    {
        // A file where the directory should be: it can be neither created nor written to, whoever runs the test.
        File.WriteAllText(_directory, "not a directory");
        try
        {
            using var host = BuildHost(
                services => services.AddQueueConsumer<OrderPlaced, OrderHandler>("orders"),
                ("Messaging:Idempotency:Store", "Directory"),
                ("Messaging:Idempotency:Directory", Path.Combine(_directory, "store")));

            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestToken));

            Assert.Contains($"Messaging:Idempotency:Directory '{Path.Combine(_directory, "store")}' cannot hold the idempotency store", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(_directory);
        }
    }

    [Fact]
    public void A_mistyped_idempotency_key_stops_start_up_with_the_nearest_one()
    {
        var error = Assert.Throws<MessagingConfigurationException>(() => BuildHost(_ => { }, ("Messaging:Idempotency:Directroy", _directory)));

        Assert.Equal("Messaging:Idempotency:Directroy", error.Key);
        Assert.Contains("Did you mean Messaging:Idempotency:Directory?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_hosts_sharing_the_directory_handle_each_duplicated_id_once()
    {
        // Each host has its own in-memory broker, and both receive every copy: only the shared directory can stop the
        // second host (and the second copy) from handling an id again.
        var handled = new HandledIds();
        using var one = StartIdempotentHost(handled);
        using var two = StartIdempotentHost(handled);
        await one.StartAsync(TestToken);
        await two.StartAsync(TestToken);
        var ids = Enumerable.Range(0, 50).Select(i => "order-" + i).ToList();

        var sends = new List<Task>();
        foreach (var host in new[] { one, two })
        {
            var queue = host.Services.GetRequiredService<IQueue>();
            var order = host.Services.GetRequiredService<MessageCodec>().Encode(new OrderPlaced("o-1", 1m, [], DateTimeOffset.UtcNow));
            sends.Add(Task.Run(async () =>
            {
                foreach (var id in ids.Concat(ids))
                {
                    await queue.SendAsync("orders", order with { Id = id }, TestToken);
                }
            }, TestToken));
        }

        await Task.WhenAll(sends);

        await ConsumerConfigurationTests.AssertHandledExactlyAsync(handled, [.. ids]);
        await one.StopAsync(TestToken);
        await two.StopAsync(TestToken);
    }

    [Fact]
    public async Task A_restarted_host_skips_the_ids_its_previous_run_handled()
    {
        var handled = new HandledIds();
        var first = Enumerable.Range(0, 10).Select(i => "first-" + i).ToList();
        using (var before = StartIdempotentHost(handled))
        {
            await before.StartAsync(TestToken);
            await SendAsync(before, first);
            await ConsumerConfigurationTests.AssertHandledExactlyAsync(handled, [.. first]);
            await before.StopAsync(TestToken);
        }

        var afterRestart = new HandledIds();
        using var after = StartIdempotentHost(afterRestart);
        await after.StartAsync(TestToken);
        var second = Enumerable.Range(0, 5).Select(i => "second-" + i).ToList();

        // The broker redelivers copies of what the first run handled, among new messages.
        await SendAsync(after, [.. first, .. second]);

        await ConsumerConfigurationTests.AssertHandledExactlyAsync(afterRestart, [.. second]);
        await after.StopAsync(TestToken);
    }

    private IHost StartIdempotentHost(HandledIds handled) => BuildHost(
        services => services.AddSingleton(handled).AddQueueConsumer<OrderPlaced, OrderHandler>("orders", new ConsumerOptions { MaxInFlight = 8, Retry = RetryPolicy.Default with { InitialDelay = TimeSpan.FromMilliseconds(50) } }),
        ("Messaging:Consumers:orders:Idempotent", "true"),
        ("Messaging:Idempotency:Store", "Directory"),
        ("Messaging:Idempotency:Directory", _directory));

    private static async Task SendAsync(IHost host, IEnumerable<string> ids)
    {
        var queue = host.Services.GetRequiredService<IQueue>();
        var order = host.Services.GetRequiredService<MessageCodec>().Encode(new OrderPlaced("o-1", 1m, [], DateTimeOffset.UtcNow));
        foreach (var id in ids)
        {
            await queue.SendAsync("orders", order with { Id = id }, TestToken);
        }
    }
}

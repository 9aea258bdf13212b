using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Adapters.Tests.Configuration;

public sealed class StartupValidationTests
{
    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Messaging:Retry:MaxAttempts", "0", "Messaging:Retry:MaxAttempts must be 1..1000, was 0.")]
    [InlineData("Messaging:Retry:ImmediateRetries", "101", "Messaging:Retry:ImmediateRetries must be 0..100, was 101.")]
    [InlineData("Messaging:Retry:BackoffMultiplier", "0.5", "Messaging:Retry:BackoffMultiplier must be 1..100, was 0.5.")]
    [InlineData("Messaging:Retry:MaxDelay", "2.00:00:00", "Messaging:Retry:MaxDelay must be 00:00:00..1.00:00:00, was 2.00:00:00.")]
    [InlineData("Messaging:ShutdownTimeout", "-00:00:01", "Messaging:ShutdownTimeout must be 00:00:00..01:00:00, was -00:00:01.")]
    [InlineData("Messaging:ShutdownTimeout", "01:00:01", "Messaging:ShutdownTimeout must be 00:00:00..01:00:00, was 01:00:01.")]
    [InlineData("Messaging:InMemory:MaxMessageSize", "0", "Messaging:InMemory:MaxMessageSize")]
    [InlineData("Messaging:InMemory:MaxMessageSize", "104857601", "Messaging:InMemory:MaxMessageSize")]
    [InlineData("Messaging:InMemory:MaxBatchEntries", "0", "Messaging:InMemory:MaxBatchEntries must be 1..10000 (or unset for no limit), was 0.")]
    [InlineData("Messaging:InMemory:MaxBatchBytes", "0", "Messaging:InMemory:MaxBatchBytes must be 1..104857600 (bytes, or unset for no limit), was 0.")]
    [InlineData("Messaging:InMemory:MaxDelay", "00:00:00", "Messaging:InMemory:MaxDelay must be more than 00:00:00")]
    public async Task An_invalid_option_stops_the_host_from_starting_with_a_message_naming_the_full_key(string key, string value, string expected)
    {
        using var host = BuildHost((key, value));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestToken));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_invalid_option_is_reported_at_once()
    {
        using var host = BuildHost(("Messaging:Retry:MaxAttempts", "0"), ("Messaging:ShutdownTimeout", "-00:00:01"));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestToken));

        Assert.Contains("Messaging:Retry:MaxAttempts", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Messaging:ShutdownTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Valid_options_at_the_edges_of_their_ranges_start_the_host()
    {
        using var host = BuildHost(
            ("Messaging:Transport", "inmemory"),
            ("Messaging:Retry:MaxAttempts", "1"),
            ("Messaging:Retry:ImmediateRetries", "0"),
            ("Messaging:ShutdownTimeout", "01:00:00"),
            ("Messaging:InMemory:MaxMessageSize", "1"));

        await host.StartAsync(TestToken);
        await host.StopAsync(TestToken);
    }

    private static IHost BuildHost(params (string Key, string Value)[] values)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(values.Prepend((Key: "Messaging:Transport", Value: "InMemory")).Where((v, i) => i > 0 || !values.Any(x => x.Key == "Messaging:Transport")).Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
        builder.Services.AddMessaging(builder.Configuration);
        return builder.Build();
    }
}

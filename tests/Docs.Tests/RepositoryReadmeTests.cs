using System.Diagnostics;
using System.Reflection;
using Acme.Messaging.Nats;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Adapters.Docs;

/// <summary>The samples of the repository's README.md, run.</summary>
public sealed class RepositoryReadmeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_quick_start_program_handles_its_order_and_exits()
    {
        var configuration = typeof(RepositoryReadmeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BuildConfiguration").Value!;
        var program = Path.Combine(Snippets.Root, "samples", "QuickStart", "bin", configuration, "net10.0", "QuickStart.dll");
        var start = new ProcessStartInfo("dotnet", [program])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(program)!,
        };

        // As copied from the README: nothing configured, so the one installed transport (in-memory) is used.
        start.Environment.Remove("Messaging__Transport");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var errors = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await errors}{await output}");
        Assert.Contains("Order 1001 (25.00) placed: sending the confirmation e-mail.", await output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transport_added_in_code_is_selected_by_its_name()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("Messaging:Transport", "Nats"), new("Messaging:Nats:Url", "nats://localhost:4222")]);

        // snippet: third-party-transport
        builder.Services
            .AddMessagingTransport<NatsTransportRegistration>()  // Messaging:Transport = Nats selects it
            .AddMessagingWithoutDiscovery(builder.Configuration);
        // end snippet

        using var host = builder.Build();
        Assert.Equal("nats://localhost:4222", host.Services.GetRequiredService<NatsSettings>().Url);
    }

    [Fact]
    public async Task The_configuration_sample_is_valid_and_configures_its_consumer()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "Samples", "appsettings.json"));
        builder.Services.AddMessaging(builder.Configuration);
        builder.Services.AddQueueConsumer("payments", _ => (_, _) => ValueTask.CompletedTask);
        using var host = builder.Build();

        await host.StartAsync(Ct);

        var payments = host.Services.GetRequiredService<IOptions<MessagingOptions>>().Value.Consumers["payments"];
        Assert.Equal((10, 2, 2), (payments.Retry!.MaxAttempts, payments.Retry.ImmediateRetries, payments.Count));
        await host.StopAsync(Ct);
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// A generic host on the fixture's transport, as an application has it: the hosted consumers of
/// <c>AddSubscription</c>, <c>AddQueueConsumer</c> and <c>AddStreamReader</c>, the application's own hosted services,
/// and a <see cref="MessageCodec"/>. Disposing it stops the host, so a scope can own it.
/// </summary>
public sealed class HostedApplication : IAsyncDisposable
{
    private readonly IHost _host;
    private int _stopped;

    private HostedApplication(IHost host)
    {
        _host = host;
    }

    /// <summary>The application's services.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>The codec the typed consumers decode with.</summary>
    public MessageCodec Codec => Services.GetRequiredService<MessageCodec>();

    /// <summary>Builds and starts a host whose transport is <paramref name="transport"/>.</summary>
    /// <param name="transport">The fixture's transport; the host uses it and does not dispose it.</param>
    /// <param name="configure">Registers the application's services, in the order the application would.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The started application.</returns>
    public static async Task<HostedApplication> StartAsync(ITransport transport, Action<IServiceCollection> configure, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        configure(builder.Services);

        // What AddMessaging registers, on the fixture's transport instead of one it builds from configuration; an
        // instance handed to the container is not disposed by it.
        builder.Services.AddSingleton(transport);
        builder.Services.AddSingleton(transport.Publisher);
        builder.Services.AddSingleton(transport.Queue);
        builder.Services.AddSingleton(new MessageCodec());
        var application = new HostedApplication(builder.Build());
        await application._host.StartAsync(cancellationToken);
        return application;
    }

    /// <summary>A typed message as the application publishes it, carrying the fixture's run header and a readable id.</summary>
    /// <typeparam name="T">The message class.</typeparam>
    /// <param name="fixture">The fixture.</param>
    /// <param name="message">The message.</param>
    /// <returns>The envelope.</returns>
    public Envelope Encode<T>(TransportFixture fixture, T message)
        where T : notnull
    {
        var encoded = Codec.Encode(message);
        return fixture.NewMessage(encoded.Type) with { Body = encoded.Body, ContentType = encoded.ContentType };
    }

    /// <summary>Stops the host (its consumers finish or give back what they hold) and disposes it.</summary>
    /// <returns>A task that completes when the host has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        try
        {
            await _host.StopAsync(CancellationToken.None);
        }
        finally
        {
            _host.Dispose();
        }
    }
}

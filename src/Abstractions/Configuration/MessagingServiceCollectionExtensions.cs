using Messaging.Adapters;
using Messaging.Adapters.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// Public DI entry points live in the DI namespace, as Microsoft's guidance for library authors asks.
#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>
/// Adds Messaging.Adapters to a service collection.
/// </summary>
public static class MessagingServiceCollectionExtensions
{
    /// <summary>Adds the transport named by <c>Messaging:Transport</c> (default <c>InMemory</c>) with its options from
    /// <c>Messaging:&lt;Transport&gt;</c>, and registers <see cref="ITransport"/>, <see cref="IPublisher"/>,
    /// <see cref="ISubscriber"/>, <see cref="IQueue"/>, <see cref="IStream"/>, <see cref="ITopology"/>,
    /// <see cref="MessageCodec"/>, <see cref="IIdempotencyStore"/> and the hosted consumers.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The application's configuration root (the <c>Messaging</c> section is read from it).</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="MessagingConfigurationException"><c>Messaging:Transport</c> names no transport, or one whose
    /// adapter package is not installed; the message gives the allowed and the installed values.</exception>
    public static IServiceCollection AddMessaging(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(MessagingOptions.SectionName);
        const string key = MessagingOptions.SectionName + ":" + nameof(MessagingOptions.Transport);
        var requested = section[nameof(MessagingOptions.Transport)];
        var name = string.IsNullOrWhiteSpace(requested)
            ? TransportCatalog.InMemory
            : TransportCatalog.Names.FirstOrDefault(n => string.Equals(n, requested.Trim(), StringComparison.OrdinalIgnoreCase))
              ?? throw new MessagingConfigurationException(key, $"{key} is '{requested}', which is not a transport. Allowed values: {string.Join(", ", TransportCatalog.Names)}.");

        var registration = TransportCatalog.TryFindRegistration(name)
            ?? throw new MessagingConfigurationException(key, $"{key} is '{name}', but its adapter package Messaging.Adapters.{name} is not installed. Install it, or set {key} to an installed transport: {string.Join(", ", TransportCatalog.Installed())}.");

        services.AddOptions<MessagingOptions>()
            .Bind(section)
            .Configure(o => o.Transport = name)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>());

        registration.Register(services, section.GetSection(name));

        services.TryAddSingleton<IPublisher>(sp => sp.GetRequiredService<ITransport>().Publisher);
        services.TryAddSingleton<ISubscriber>(sp => sp.GetRequiredService<ITransport>().Subscriber);
        services.TryAddSingleton<IQueue>(sp => sp.GetRequiredService<ITransport>().Queue);
        services.TryAddSingleton<IStream>(sp => sp.GetRequiredService<ITransport>().Stream);
        services.TryAddSingleton<ITopology>(sp => sp.GetRequiredService<ITransport>().Topology);
        services.TryAddSingleton(_ => new MessageCodec());
        services.TryAddSingleton<IIdempotencyStore>(_ => new InMemoryIdempotencyStore());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MessagingHostedService>());
        return services;
    }

    /// <summary>Applies the validated <c>Messaging:Retry</c> policy to a transport's options; adapters call this from their registration.</summary>
    /// <typeparam name="TOptions">The adapter's options class.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection ApplyMessagingRetryPolicy<TOptions>(this IServiceCollection services)
        where TOptions : TransportOptions
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<TOptions>().Configure<IOptions<MessagingOptions>>((transport, messaging) => transport.DefaultRetry = messaging.Value.Retry.ToPolicy());
        return services;
    }
}

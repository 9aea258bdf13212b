using System.Diagnostics.CodeAnalysis;
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
    /// <see cref="MessageCodec"/>, <see cref="IIdempotencyStore"/>, <see cref="IRequestClient"/>, <see cref="IDeadLetters"/> and the hosted consumers.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The application's configuration root (the <c>Messaging</c> section is read from it).</param>
    /// <returns>The service collection.</returns>
    /// <remarks>The transport is one added with <see cref="AddMessagingTransport(IServiceCollection, ITransportRegistration)"/>
    /// before this call, or else one whose adapter is installed: an assembly marked with
    /// <see cref="MessagingTransportAttribute"/> among the application's dependencies. Only when the name is not one
    /// added in code are the dependencies searched; a trimmed application adds its transports in code and calls
    /// <see cref="AddMessagingWithoutDiscovery"/>.</remarks>
    /// <exception cref="MessagingConfigurationException"><c>Messaging:Transport</c> names no available transport; the
    /// message lists the available ones, the nearest name, or the package to install for one of ours.</exception>
    [RequiresUnreferencedCode(TransportDiscovery.RequiresUnreferencedCodeMessage)]
    public static IServiceCollection AddMessaging(this IServiceCollection services, IConfiguration configuration) =>
        AddMessaging(services, configuration, TransportDiscovery.Discover);

    /// <summary>Does what <see cref="AddMessaging(IServiceCollection, IConfiguration)"/> does, choosing only among the
    /// transports added with <see cref="AddMessagingTransport(IServiceCollection, ITransportRegistration)"/>: it never
    /// searches or loads assemblies, so trimming or single-file publishing cannot take away the transport it chooses.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The application's configuration root (the <c>Messaging</c> section is read from it).</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="MessagingConfigurationException"><c>Messaging:Transport</c> names no transport added in code; the
    /// message lists the added ones.</exception>
    public static IServiceCollection AddMessagingWithoutDiscovery(this IServiceCollection services, IConfiguration configuration) =>
        AddMessaging(services, configuration, discover: null);

    /// <summary>Adds a transport that <c>Messaging:Transport</c> can then select, without any search of the application's
    /// assemblies; call it before <c>AddMessaging</c>.</summary>
    /// <typeparam name="TRegistration">The adapter's registration, for example a third party's <c>NatsTransportRegistration</c>.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="InvalidOperationException"><c>AddMessaging</c> has already run, or another registration type was
    /// added under the same name.</exception>
    public static IServiceCollection AddMessagingTransport<TRegistration>(this IServiceCollection services)
        where TRegistration : class, ITransportRegistration, new() =>
        services.AddMessagingTransport(new TRegistration());

    /// <summary>Adds a transport that <c>Messaging:Transport</c> can then select, without any search of the application's
    /// assemblies; call it before <c>AddMessaging</c>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="registration">The adapter's registration.</param>
    /// <returns>The service collection.</returns>
    /// <remarks>A transport added here wins over an installed adapter of the same name. Adding the same registration type
    /// again does nothing.</remarks>
    /// <exception cref="InvalidOperationException"><c>AddMessaging</c> has already run, or another registration type was
    /// added under the same name.</exception>
    public static IServiceCollection AddMessagingTransport(this IServiceCollection services, ITransportRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(registration);
        if (string.IsNullOrWhiteSpace(registration.Name))
        {
            throw new ArgumentException($"{registration.GetType().FullName}.Name is empty; it must name the transport.", nameof(registration));
        }

        // The transport is chosen, and registers its services, while AddMessaging runs; one added later would be ignored.
        if (services.Any(IsMessagingOptionsValidator))
        {
            throw new InvalidOperationException(
                $"AddMessagingTransport for '{registration.Name}' must be called before AddMessaging (or an adapter's Add...Transport), which has already chosen the transport.");
        }

        if (AddedTransports(services).FirstOrDefault(added => added.IsNamed(registration.Name)) is { } existing)
        {
            return existing.GetType() == registration.GetType()
                ? services
                : throw new InvalidOperationException(
                    $"Transport '{registration.Name}' is already added by {existing.GetType().FullName}; {registration.GetType().FullName} cannot be added under the same name.");
        }

        services.AddSingleton(registration);
        return services;
    }

    /// <summary>Adds Messaging.Adapters on one transport chosen in code: registers it and adds the <c>Messaging</c>
    /// services with <c>Messaging:Transport</c> set to its name, searching no assembly. An adapter's
    /// <c>AddXxxTransport()</c> shortcut calls this.</summary>
    /// <typeparam name="TRegistration">The adapter's registration.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddMessagingOn<TRegistration>(this IServiceCollection services)
        where TRegistration : class, ITransportRegistration, new()
    {
        var registration = new TRegistration();
        return services.AddMessagingTransport(registration)
            .AddMessagingWithoutDiscovery(new ConfigurationBuilder().AddInMemoryCollection([new($"{MessagingOptions.SectionName}:{nameof(MessagingOptions.Transport)}", registration.Name)]).Build());
    }

    /// <summary>Adds what every adapter's registration adds once its options are bound: the options validated at
    /// start-up by <typeparamref name="TValidator"/> (whose messages name the configuration key), the validated
    /// <c>Messaging:Retry</c> policy applied to them, and one <see cref="ITransport"/> built from them.</summary>
    /// <typeparam name="TOptions">The adapter's options class.</typeparam>
    /// <typeparam name="TValidator">The validator of those options.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="create">Builds the transport from its options, the application's clock and its logger factory
    /// (each <see langword="null"/> when the application registers none).</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddMessagingTransportServices<TOptions, TValidator>(
        this IServiceCollection services,
        Func<TOptions, TimeProvider?, Microsoft.Extensions.Logging.ILoggerFactory?, ITransport> create)
        where TOptions : TransportOptions
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(create);
        services.AddOptions<TOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        services.ApplyMessagingRetryPolicy<TOptions>();
        services.TryAddSingleton(sp => create(
            sp.GetRequiredService<IOptions<TOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
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

    private static IServiceCollection AddMessaging(IServiceCollection services, IConfiguration configuration, Func<DiscoveredTransports>? discover)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(MessagingOptions.SectionName);
        var requested = section[nameof(MessagingOptions.Transport)];
        var added = AddedTransports(services);
        DiscoveredTransports? discovered = null;
        var registration = string.IsNullOrWhiteSpace(requested)
            ? TransportSelection.SelectUnnamed(added, discovered = discover?.Invoke())
            : TransportSelection.Select(requested.Trim(), added, discover is null ? null : () => discovered = discover());
        ConfigurationKeys.ThrowOnUnknown(
            section,
            registration,
            TransportCatalog.Names.Concat(TransportSelection.NamesOf(added)).Concat(discovered?.Names() ?? []));

        services.AddOptions<MessagingOptions>()
            .Bind(section)
            .Configure(o => o.Transport = registration.Name)
            .PostConfigure(o => ConsumerRetryLayering.Apply(o, section))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>());

        registration.Register(services, section.GetSection(registration.Name));

        services.TryAddSingleton<IPublisher>(sp => sp.GetRequiredService<ITransport>().Publisher);
        services.TryAddSingleton<ISubscriber>(sp => sp.GetRequiredService<ITransport>().Subscriber);
        services.TryAddSingleton<IQueue>(sp => sp.GetRequiredService<ITransport>().Queue);
        services.TryAddSingleton<IStream>(sp => sp.GetRequiredService<ITransport>().Stream);
        services.TryAddSingleton<ITopology>(sp => sp.GetRequiredService<ITransport>().Topology);
        services.TryAddSingleton(_ => new MessageCodec());
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<MessagingOptions>>().Value.Idempotency.CreateStore(sp.GetService<TimeProvider>()));
        services.TryAddSingleton<IRequestClient, HostedRequestClient>();
        services.TryAddSingleton<IDeadLetters>(sp => new DeadLetters(sp.GetRequiredService<ITransport>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MessagingHostedService>());
        return services;
    }

    private static List<ITransportRegistration> AddedTransports(IServiceCollection services) =>
        services
            .Where(d => d.ServiceType == typeof(ITransportRegistration) && !d.IsKeyedService)
            .Select(d => d.ImplementationInstance)
            .OfType<ITransportRegistration>()
            .ToList();

    // Keyed descriptors throw on ImplementationType, hence the check first.
    private static bool IsMessagingOptionsValidator(ServiceDescriptor d) =>
        !d.IsKeyedService && d.ServiceType == typeof(IValidateOptions<MessagingOptions>) && d.ImplementationType == typeof(MessagingOptionsValidator);
}

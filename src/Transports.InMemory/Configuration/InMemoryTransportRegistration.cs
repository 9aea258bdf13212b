using Messaging.Adapters;
using Messaging.Adapters.InMemory;
using Messaging.Adapters.InMemory.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

[assembly: MessagingTransport(typeof(InMemoryTransportRegistration))]

namespace Messaging.Adapters.InMemory.Configuration;

/// <summary>
/// Registers the in-memory transport when <c>Messaging:Transport</c> is <c>InMemory</c>; found by
/// <c>AddMessaging</c> through the assembly attribute above, or added in code by the adapter's own <c>Add...Transport</c>.
/// </summary>
public sealed class InMemoryTransportRegistration : ITransportRegistration
{
    /// <inheritdoc />
    public string Name => TransportCatalog.InMemory;

    /// <inheritdoc />
    public Type OptionsType => typeof(InMemoryTransportOptions);

    /// <inheritdoc />
    public void Register(IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<InMemoryTransportOptions>().Bind(section);
        AddTransport(services);
    }

    internal static void AddTransport(IServiceCollection services) =>
        services.AddMessagingTransportServices<InMemoryTransportOptions, InMemoryTransportOptionsValidator>((options, time, loggers) => new InMemoryTransport(options, time, loggers));
}

/// <summary>
/// Validates <see cref="InMemoryTransportOptions"/> at start-up with messages that name the configuration key.
/// </summary>
internal sealed class InMemoryTransportOptionsValidator : IValidateOptions<InMemoryTransportOptions>
{
    public ValidateOptionsResult Validate(string? name, InMemoryTransportOptions options) =>
        options.FindProblems("Messaging:InMemory:") is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}

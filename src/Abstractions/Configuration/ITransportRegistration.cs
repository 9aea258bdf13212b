namespace Messaging.Adapters;

/// <summary>
/// Adds one transport to a service collection from its configuration section.
/// </summary>
/// <remarks>An adapter makes its registration known in one of two ways: <see cref="MessagingTransportAttribute"/> on its
/// assembly, so that installing the package is enough for <c>AddMessaging</c> to find it, or
/// <c>services.AddMessagingTransport&lt;TRegistration&gt;()</c> in the application's code, which needs no reflection.</remarks>
public interface ITransportRegistration
{
    /// <summary>The transport's name: the value of <c>Messaging:Transport</c> that selects it (compared case-insensitively),
    /// and the name of its configuration section <c>Messaging:&lt;Name&gt;</c>.</summary>
    string Name { get; }

    /// <summary>The options class bound from <c>Messaging:&lt;Name&gt;</c>, so that <c>AddMessaging</c> refuses keys
    /// in that section which are not among its properties (a misspelt key would otherwise be ignored);
    /// <see langword="null"/> when the section is not checked.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    [System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicProperties)]
    Type? OptionsType => null;

    /// <summary>Registers the transport as the application's <see cref="ITransport"/>, binding its options from
    /// <paramref name="section"/> (<c>Messaging:&lt;Name&gt;</c>) and validating them at start-up.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The transport's configuration section.</param>
    void Register(Microsoft.Extensions.DependencyInjection.IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration section);
}

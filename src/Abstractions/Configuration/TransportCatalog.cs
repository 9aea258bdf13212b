using System.Diagnostics.CodeAnalysis;

namespace Messaging.Adapters;

/// <summary>
/// The names of the transports Messaging.Adapters publishes adapter packages for, and the transports installed in
/// this application.
/// </summary>
/// <remarks>Any adapter, a third party's too, can offer a transport under its own name: see
/// <see cref="MessagingTransportAttribute"/> and <see cref="ITransportRegistration"/>. The names here are the ones
/// whose package <c>AddMessaging</c> can name when the transport is asked for but not installed.</remarks>
public static class TransportCatalog
{
    /// <summary>The in-memory transport.</summary>
    public const string InMemory = "InMemory";

    /// <summary>The RabbitMQ transport.</summary>
    public const string RabbitMq = "RabbitMq";

    /// <summary>The Kafka transport.</summary>
    public const string Kafka = "Kafka";

    /// <summary>The AWS (SNS, SQS, EventBridge) transport.</summary>
    public const string Aws = "Aws";

    /// <summary>The transports Messaging.Adapters publishes an adapter package for, in the form <c>Messaging:Transport</c>
    /// takes (case-insensitive). Other adapters add their own names.</summary>
    public static IReadOnlyList<string> Names { get; } = [InMemory, RabbitMq, Kafka, Aws];

    /// <summary>The transports whose adapter is installed in this application: found in its dependencies by
    /// <see cref="MessagingTransportAttribute"/>, or already loaded.</summary>
    /// <returns>Their names, sorted.</returns>
    [RequiresUnreferencedCode(TransportDiscovery.RequiresUnreferencedCodeMessage)]
    public static IReadOnlyList<string> Installed() => TransportDiscovery.Discover().Names();

    /// <summary>Finds the registration of an installed transport.</summary>
    /// <param name="name">The transport's name (case-insensitive).</param>
    /// <returns>The registration, or <see langword="null"/> when no installed adapter offers the transport.</returns>
    /// <exception cref="InvalidOperationException">More than one installed adapter offers the transport.</exception>
    [RequiresUnreferencedCode(TransportDiscovery.RequiresUnreferencedCodeMessage)]
    public static ITransportRegistration? TryFindRegistration(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var matches = TransportDiscovery.Discover().Named(name);
        return matches.Count > 1
            ? throw new InvalidOperationException($"Transport '{name}' is offered by more than one installed adapter: {TransportDiscovery.Describe(matches)}.")
            : matches.Count == 1 ? matches[0] : null;
    }

    /// <summary>The package of one of our transports, by the naming convention our adapters follow.</summary>
    internal static string PackageOf(string name) => "Messaging.Adapters." + name;
}

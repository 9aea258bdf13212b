using System.Reflection;

namespace Messaging.Adapters;

/// <summary>
/// The transports Messaging.Adapters knows, and how an installed adapter package is found by name.
/// </summary>
/// <remarks>An adapter package <c>Messaging.Adapters.&lt;Name&gt;</c> marks its assembly with
/// <see cref="MessagingTransportAttribute"/>; <c>AddMessaging</c> loads the assembly named after
/// <c>Messaging:Transport</c>, so installing the package is all it takes for the name to work.</remarks>
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

    /// <summary>Every transport name, in the form <c>Messaging:Transport</c> takes (case-insensitive).</summary>
    public static IReadOnlyList<string> Names { get; } = [InMemory, RabbitMq, Kafka, Aws];

    /// <summary>The transports whose adapter package is installed in this application.</summary>
    /// <returns>Their names.</returns>
    public static IReadOnlyList<string> Installed() => Names.Where(name => TryFindRegistration(name) is not null).ToList();

    /// <summary>Finds the registration of an installed transport.</summary>
    /// <param name="name">The transport's name (exact form from <see cref="Names"/>).</param>
    /// <returns>The registration, or <see langword="null"/> when the adapter package is not installed.</returns>
    public static ITransportRegistration? TryFindRegistration(string name)
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName("Messaging.Adapters." + name));
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        var attribute = assembly.GetCustomAttribute<MessagingTransportAttribute>();
        if (attribute is null || !typeof(ITransportRegistration).IsAssignableFrom(attribute.RegistrationType))
        {
            return null;
        }

        return (ITransportRegistration)Activator.CreateInstance(attribute.RegistrationType)!;
    }
}

/// <summary>
/// Marks an adapter assembly with the registration that adds its transport to a service collection.
/// </summary>
/// <param name="registrationType">A type implementing <see cref="ITransportRegistration"/> with a public parameterless constructor.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class MessagingTransportAttribute(Type registrationType) : Attribute
{
    /// <summary>The registration type.</summary>
    public Type RegistrationType { get; } = registrationType;
}

/// <summary>
/// Adds one transport to a service collection from its configuration section.
/// </summary>
public interface ITransportRegistration
{
    /// <summary>The transport's name, as in <see cref="TransportCatalog.Names"/>.</summary>
    string Name { get; }

    /// <summary>Registers the transport as the application's <see cref="ITransport"/>, binding its options from
    /// <paramref name="section"/> (<c>Messaging:&lt;Name&gt;</c>) and validating them at start-up.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The transport's configuration section.</param>
    void Register(Microsoft.Extensions.DependencyInjection.IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration section);
}

using System.Diagnostics.CodeAnalysis;

namespace Messaging.Adapters;

/// <summary>
/// Marks an adapter assembly with the registration that adds its transport to a service collection, so that
/// <c>AddMessaging</c> finds the transport when its package is installed, whatever the assembly is called.
/// </summary>
/// <param name="registrationType">A type implementing <see cref="ITransportRegistration"/> with a public parameterless constructor.</param>
/// <remarks><c>AddMessaging</c> looks for this attribute only in assemblies that depend on Messaging.Adapters.Abstractions;
/// an assembly may carry several, one per transport it offers.</remarks>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class MessagingTransportAttribute(
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type registrationType) : Attribute
{
    /// <summary>The registration type.</summary>
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    public Type RegistrationType { get; } = registrationType;
}

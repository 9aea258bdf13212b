using DotNet.Testcontainers.Containers;

namespace Messaging.Adapters.Testing.Brokers;

/// <summary>One transport's broker: the container that runs it and the settings that point the transport at it.</summary>
internal interface IBrokerDefinition
{
    /// <summary>The value of <c>Messaging:Transport</c> this broker serves.</summary>
    string Transport { get; }

    /// <summary>The image this broker runs with these options and environment.</summary>
    string Image(MessagingBrokerOptions options, Func<string, string?> environment);

    /// <summary>The port clients connect to inside the container.</summary>
    ushort ContainerPort { get; }

    /// <summary>
    /// A container, not started, running <paramref name="image"/> with <paramref name="labels"/>, its
    /// <see cref="ContainerPort"/> bound to <paramref name="hostPort"/> on this machine.
    /// </summary>
    IContainer Create(string image, ushort hostPort, IReadOnlyDictionary<string, string> labels);

    /// <summary>The transport's settings for the started <paramref name="container"/>.</summary>
    IReadOnlyDictionary<string, string?> Settings(IContainer container, MessagingBrokerOptions options);
}

using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Configurations;

namespace Messaging.Adapters.Testing.Tests.Containers;

/// <summary>Asks the container engine itself, not the package, about containers.</summary>
internal static class EngineContainers
{
    public static async Task<bool> ExistsAsync(string id, CancellationToken cancellationToken)
    {
        using var client = Client();
        try
        {
            await client.Containers.InspectContainerAsync(id, cancellationToken);
            return true;
        }
        catch (DockerContainerNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether the container is gone within <paramref name="timeout"/>: a removal another remover started (the first
    /// broker start of a concurrent test) may still be under way.
    /// </summary>
    public static async Task<bool> GoneWithinAsync(string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (await ExistsAsync(id, cancellationToken))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(100, cancellationToken);
        }

        return true;
    }

    /// <summary>Creates (does not start) a container of <paramref name="image"/> carrying <paramref name="labels"/>.</summary>
    public static async Task<string> CreateAsync(string image, IDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        using var client = Client();
        var created = await client.Containers.CreateContainerAsync(
            new CreateContainerParameters { Image = image, Labels = labels }, cancellationToken);
        return created.ID;
    }

    /// <summary>The port of this machine the container's <paramref name="containerPort"/> is published on now.</summary>
    public static async Task<int> HostPortAsync(string id, int containerPort, CancellationToken cancellationToken)
    {
        using var client = Client();
        var container = await client.Containers.InspectContainerAsync(id, cancellationToken);
        if (container.NetworkSettings?.Ports is not { } ports
            || !ports.TryGetValue($"{containerPort}/tcp", out var bindings)
            || bindings is not [var binding, ..])
        {
            throw new InvalidOperationException($"{containerPort}/tcp of container {id} is not published");
        }

        return int.Parse(binding.HostPort, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        using var client = Client();
        try
        {
            await client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            // Already gone: what the test wanted.
        }
    }

    private static DockerClient Client() =>
        TestcontainersSettings.OS.DockerEndpointAuthConfig.GetDockerClientBuilder(Guid.NewGuid()).Build();
}

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

    /// <summary>Creates (does not start) a container of <paramref name="image"/> carrying <paramref name="labels"/>.</summary>
    public static async Task<string> CreateAsync(string image, IDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        using var client = Client();
        var created = await client.Containers.CreateContainerAsync(
            new CreateContainerParameters { Image = image, Labels = labels }, cancellationToken);
        return created.ID;
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

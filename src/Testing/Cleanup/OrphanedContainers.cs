using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Configurations;

namespace Messaging.Adapters.Testing.Cleanup;

/// <summary>
/// Removes broker containers whose owning test process is gone (see <see cref="ContainerOwner"/>), so that cleanup
/// does not depend on Ryuk: disposal removes a broker, and a process killed before disposing has its broker removed
/// by the next start on the machine.
/// </summary>
internal static class OrphanedContainers
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static bool swept;

    /// <summary>Removes orphans once per process, before its first broker starts.</summary>
    public static async Task RemoveAsync(CancellationToken cancellationToken)
    {
        await Once.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (swept)
            {
                return;
            }

            await SweepAsync(cancellationToken).ConfigureAwait(false);
            swept = true;
        }
        finally
        {
            Once.Release();
        }
    }

    /// <summary>Removes every container of this machine's dead test processes, now.</summary>
    public static async Task SweepAsync(CancellationToken cancellationToken)
    {
        using var client = TestcontainersSettings.OS.DockerEndpointAuthConfig.GetDockerClientBuilder(Guid.NewGuid()).Build();
        var containers = await client.Containers.ListContainersAsync(
            new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool> { [ContainerOwner.Label] = true },
                },
            },
            cancellationToken).ConfigureAwait(false);
        foreach (var container in containers)
        {
            var owner = container.Labels.TryGetValue(ContainerOwner.Label, out var value) ? ContainerOwner.Parse(value) : null;
            if (owner is not null && owner.IsGoneFromThisMachine())
            {
                await RemoveOneAsync(client, container.ID, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task RemoveOneAsync(DockerClient client, string id, CancellationToken cancellationToken)
    {
        try
        {
            await client.Containers.RemoveContainerAsync(
                id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // Another test process on the machine removed it first.
        }
        catch (DockerApiException error) when (error.StatusCode == HttpStatusCode.Conflict)
        {
            // Another test process (or this one's other first start) is removing it now ("removal already in progress").
        }
    }
}

using Messaging.Adapters.Testing.Cleanup;

namespace Messaging.Adapters.Testing.Tests.Containers;

/// <summary>
/// Cleanup without Ryuk: a broker container left by a test process that died before disposing it is removed by the
/// next start on the machine; containers of live processes and of other machines are left alone.
/// </summary>
public sealed class OrphanedContainerTests
{
    [Fact]
    public async Task A_container_of_a_dead_process_is_removed_and_those_of_live_processes_or_other_machines_stay()
    {
        var ct = TestContext.Current.CancellationToken;
        var image = Environment.GetEnvironmentVariable(MessagingBrokerOptions.RabbitMqImageVariable)
            ?? throw new InvalidOperationException($"{MessagingBrokerOptions.RabbitMqImageVariable} is not set (see containers.runsettings).");
        var current = ContainerOwner.Current;
        // This process's id with an earlier start: the process that had the id is gone, and the id was reused since.
        var dead = await CreateOwnedAsync(image, current with { ProcessStartTicks = current.ProcessStartTicks - TimeSpan.FromMinutes(1).Ticks }, ct);
        var live = await CreateOwnedAsync(image, current, ct);
        var elsewhere = await CreateOwnedAsync(image, current with { Machine = $"{current.Machine}-elsewhere", ProcessId = int.MaxValue }, ct);
        try
        {
            await OrphanedContainers.SweepAsync(ct);

            Assert.True(
                await EngineContainers.GoneWithinAsync(dead, TimeSpan.FromSeconds(10), ct), "the dead process's container was not removed");
            Assert.True(await EngineContainers.ExistsAsync(live, ct), "a live process's container was removed");
            Assert.True(await EngineContainers.ExistsAsync(elsewhere, ct), "another machine's container was removed");
        }
        finally
        {
            foreach (var id in new[] { dead, live, elsewhere })
            {
                await EngineContainers.RemoveAsync(id, ct);
            }
        }
    }

    private static Task<string> CreateOwnedAsync(string image, ContainerOwner owner, CancellationToken ct) =>
        EngineContainers.CreateAsync(image, new Dictionary<string, string> { [ContainerOwner.Label] = owner.LabelValue }, ct);
}

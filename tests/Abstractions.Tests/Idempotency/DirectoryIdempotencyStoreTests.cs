using Messaging.Adapters.Tests.TestDoubles;

namespace Messaging.Adapters.Tests.Idempotency;

/// <summary>
/// <see cref="DirectoryIdempotencyStore"/>: several store instances on one directory stand for several processes.
/// </summary>
public sealed class DirectoryIdempotencyStoreTests : IDisposable
{
    private const string Consumer = "billing";
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "idempotency-tests-" + Guid.NewGuid().ToString("N"));
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_claimed_id_is_in_progress_elsewhere_and_handled_everywhere_once_completed()
    {
        var one = NewStore();
        var other = NewStore();

        Assert.Equal(IdempotencyClaim.Claimed, await one.TryClaimAsync(Consumer, "m-1", Ct));
        Assert.Equal(IdempotencyClaim.InProgress, await other.TryClaimAsync(Consumer, "m-1", Ct));
        Assert.Equal(IdempotencyClaim.InProgress, await one.TryClaimAsync(Consumer, "m-1", Ct));
        await one.CompleteAsync(Consumer, "m-1", Ct);

        Assert.Equal(IdempotencyClaim.AlreadyHandled, await other.TryClaimAsync(Consumer, "m-1", Ct));
        Assert.Equal(IdempotencyClaim.AlreadyHandled, await NewStore().TryClaimAsync(Consumer, "m-1", Ct));
        Assert.Equal(IdempotencyClaim.Claimed, await other.TryClaimAsync("shipping", "m-1", Ct));
        Assert.Equal(IdempotencyClaim.Claimed, await other.TryClaimAsync(Consumer, "m-2", Ct));
        Assert.Empty(LeftOvers());
    }

    [Fact]
    public async Task A_released_claim_can_be_claimed_again_by_another_process()
    {
        var one = NewStore();
        var other = NewStore();
        Assert.Equal(IdempotencyClaim.Claimed, await one.TryClaimAsync(Consumer, "m-1", Ct));

        await one.ReleaseAsync(Consumer, "m-1", Ct);

        Assert.Equal(IdempotencyClaim.Claimed, await other.TryClaimAsync(Consumer, "m-1", Ct));
        Assert.Equal(IdempotencyClaim.InProgress, await one.TryClaimAsync(Consumer, "m-1", Ct));
    }

    [Fact]
    public async Task A_handled_id_is_forgotten_after_the_retention_and_the_cleanup_removes_only_expired_files()
    {
        var store = NewStore();
        await ClaimAndCompleteAsync(store, "old");
        _time.Advance(Retention - TimeSpan.FromMinutes(1));
        await ClaimAndCompleteAsync(store, "recent");
        Assert.Equal(IdempotencyClaim.AlreadyHandled, await store.TryClaimAsync(Consumer, "old", Ct));

        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(1, await store.RemoveExpiredAsync(Ct));
        Assert.Equal(IdempotencyClaim.AlreadyHandled, await NewStore().TryClaimAsync(Consumer, "recent", Ct));
        Assert.Equal(IdempotencyClaim.Claimed, await NewStore().TryClaimAsync(Consumer, "old", Ct));
    }

    [Fact]
    public async Task An_expired_handled_id_is_handled_again_without_waiting_for_the_cleanup()
    {
        var store = NewStore();
        await ClaimAndCompleteAsync(store, "m-1");

        _time.Advance(Retention + TimeSpan.FromSeconds(1));

        Assert.Equal(IdempotencyClaim.Claimed, await NewStore().TryClaimAsync(Consumer, "m-1", Ct));
    }

    [Fact]
    public async Task A_claim_older_than_the_lease_is_taken_over_and_its_dead_owner_cannot_remove_the_new_claim()
    {
        var died = NewStore();
        var survivor = NewStore();
        Assert.Equal(IdempotencyClaim.Claimed, await died.TryClaimAsync(Consumer, "m-1", Ct));
        _time.Advance(Lease - TimeSpan.FromSeconds(1));
        Assert.Equal(IdempotencyClaim.InProgress, await survivor.TryClaimAsync(Consumer, "m-1", Ct));

        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(IdempotencyClaim.Claimed, await survivor.TryClaimAsync(Consumer, "m-1", Ct));
        await died.ReleaseAsync(Consumer, "m-1", Ct);
        Assert.Equal(IdempotencyClaim.InProgress, await NewStore().TryClaimAsync(Consumer, "m-1", Ct));
        await survivor.CompleteAsync(Consumer, "m-1", Ct);
        Assert.Equal(IdempotencyClaim.AlreadyHandled, await NewStore().TryClaimAsync(Consumer, "m-1", Ct));
        Assert.Empty(LeftOvers());
        Assert.DoesNotContain(Directory.EnumerateFiles(_directory, "*", SearchOption.AllDirectories), f => f.EndsWith(".claim", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Of_many_concurrent_claims_from_several_processes_exactly_one_wins()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => new DirectoryIdempotencyStore(_directory)).ToList();
        for (var round = 0; round < 20; round++)
        {
            var id = "m-" + round;
            var results = await ClaimAllAtOnceAsync(stores, id, 64);

            Assert.Equal(1, results.Count(r => r == IdempotencyClaim.Claimed));
            Assert.Equal(63, results.Count(r => r == IdempotencyClaim.InProgress));
        }
    }

    [Fact]
    public async Task Of_many_concurrent_takeovers_of_an_abandoned_claim_exactly_one_wins()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => NewStore()).ToList();
        for (var round = 0; round < 20; round++)
        {
            var id = "m-" + round;
            Assert.Equal(IdempotencyClaim.Claimed, await NewStore().TryClaimAsync(Consumer, id, Ct));
            _time.Advance(Lease + TimeSpan.FromSeconds(1));
            var results = await ClaimAllAtOnceAsync(stores, id, 32);

            Assert.Equal(1, results.Count(r => r == IdempotencyClaim.Claimed));
        }
    }

    [Fact]
    public async Task Any_consumer_name_and_id_is_a_safe_and_distinct_file_name()
    {
        var store = NewStore();
        string[] consumers = ["..", "a/b", "a.2fb", "orders.billing", "ünïcode", new string('x', 300)];
        string[] ids = ["../../etc/passwd", "a\nb", "", new string('y', 10_000)];
        foreach (var consumer in consumers)
        {
            foreach (var id in ids)
            {
                Assert.Equal(IdempotencyClaim.Claimed, await store.TryClaimAsync(consumer, id, Ct));
                await store.CompleteAsync(consumer, id, Ct);
            }
        }

        foreach (var consumer in consumers)
        {
            foreach (var id in ids)
            {
                Assert.Equal(IdempotencyClaim.AlreadyHandled, await NewStore().TryClaimAsync(consumer, id, Ct));
            }
        }

        var files = Directory.EnumerateFiles(_directory, "*", SearchOption.AllDirectories).ToList();
        Assert.Equal(consumers.Length * ids.Length, files.Count);
        Assert.All(files, f => Assert.StartsWith(_directory + Path.DirectorySeparatorChar, Path.GetFullPath(f), StringComparison.Ordinal));
    }

    /// <summary>Takeover markers and files written aside: none should outlive the call that made them.</summary>
    private List<string> LeftOvers() => Directory.EnumerateFiles(_directory, "*", SearchOption.AllDirectories)
        .Where(f => f.EndsWith(".takeover", StringComparison.Ordinal) || f.EndsWith(".tmp", StringComparison.Ordinal))
        .ToList();

    /// <summary>Claims <paramref name="id"/> from <paramref name="count"/> tasks released at once, spread over the stores.</summary>
    private static async Task<IdempotencyClaim[]> ClaimAllAtOnceAsync(List<DirectoryIdempotencyStore> stores, string id, int count)
    {
        using var start = new ManualResetEventSlim();
        var claims = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            start.Wait(Ct);
            return await stores[i % stores.Count].TryClaimAsync(Consumer, id, Ct);
        })).ToList();
        start.Set();
        return await Task.WhenAll(claims);
    }

    private DirectoryIdempotencyStore NewStore() => new(_directory, Retention, Lease, _time);

    private static async Task ClaimAndCompleteAsync(DirectoryIdempotencyStore store, string id)
    {
        Assert.Equal(IdempotencyClaim.Claimed, await store.TryClaimAsync(Consumer, id, Ct));
        await store.CompleteAsync(Consumer, id, Ct);
    }
}

using System.Collections.Concurrent;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Tests.Transport;

public sealed class SettlementBatcherTests
{
    [Fact]
    public async Task A_lone_settlement_goes_out_at_once_in_its_own_request()
    {
        var requests = new ConcurrentQueue<IReadOnlyList<int>>();
        var batcher = new SettlementBatcher<int>((items, _) =>
        {
            requests.Enqueue(items);
            return Task.FromResult<IReadOnlyList<Exception?>>(new Exception?[items.Count]);
        }, maxBatch: 10);

        await batcher.SettleAsync(1).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        Assert.Equal([[1]], requests.ToArray());
        Assert.Equal(1, batcher.Requests);
    }

    [Fact]
    public async Task Settlements_queued_while_requests_are_in_flight_go_out_together_up_to_the_batch_limit()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = new ConcurrentQueue<IReadOnlyList<int>>();
        var batcher = new SettlementBatcher<int>(async (items, _) =>
        {
            requests.Enqueue(items);
            firstSent.TrySetResult();
            await release.Task;
            return new Exception?[items.Count];
        }, maxBatch: 10, maxRequests: 1);

        // The first takes the only request slot and holds it; the next 25 queue behind it.
        var settled = new List<Task> { batcher.SettleAsync(0) };
        await firstSent.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        settled.AddRange(Enumerable.Range(1, 25).Select(batcher.SettleAsync));
        release.SetResult();
        await Task.WhenAll(settled).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        Assert.Equal([1, 10, 10, 5], requests.Select(r => r.Count));
        Assert.Equal(Enumerable.Range(0, 26), requests.SelectMany(r => r));
        Assert.Equal(26, batcher.Items);
        Assert.Equal(4, batcher.Requests);
    }

    [Fact]
    public async Task A_second_request_starts_only_for_a_full_batch_while_one_is_in_flight()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = new ConcurrentQueue<IReadOnlyList<int>>();
        var batcher = new SettlementBatcher<int>(async (items, _) =>
        {
            requests.Enqueue(items);
            await release.Task;
            return new Exception?[items.Count];
        }, maxBatch: 10, maxRequests: 2);

        var settled = new List<Task> { batcher.SettleAsync(0) };
        await WaitUntilAsync(() => requests.Count == 1);
        settled.AddRange(Enumerable.Range(1, 9).Select(batcher.SettleAsync));
        Assert.Single(requests);

        settled.Add(batcher.SettleAsync(10));
        Assert.Equal([[0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], requests.ToArray());

        release.SetResult();
        await Task.WhenAll(settled).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_per_entry_failure_fails_only_that_entry()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batcher = new SettlementBatcher<int>(async (items, _) =>
        {
            await release.Task;
            return items.Select(i => i % 2 == 1 ? new InvalidOperationException($"entry {i} refused") : null).ToList();
        }, maxBatch: 10, maxRequests: 1);

        var settled = Enumerable.Range(0, 6).Select(batcher.SettleAsync).ToList();
        release.SetResult();
        await Task.WhenAll(settled.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        for (var i = 0; i < settled.Count; i++)
        {
            if (i % 2 == 1)
            {
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => settled[i]);
                Assert.Equal($"entry {i} refused", error.Message);
            }
            else
            {
                Assert.True(settled[i].IsCompletedSuccessfully, $"entry {i} should have been settled");
            }
        }
    }

    [Fact]
    public async Task A_failed_request_fails_every_entry_it_carried_and_the_batcher_goes_on()
    {
        var calls = 0;
        var batcher = new SettlementBatcher<int>((items, _) =>
            Interlocked.Increment(ref calls) == 1
                ? Task.FromException<IReadOnlyList<Exception?>>(new TimeoutException("no answer"))
                : Task.FromResult<IReadOnlyList<Exception?>>(new Exception?[items.Count]), maxBatch: 10);

        await Assert.ThrowsAsync<TimeoutException>(() => batcher.SettleAsync(1));
        await batcher.SettleAsync(2).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Drain_waits_for_what_is_queued_and_in_flight()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var settledCount = 0;
        var batcher = new SettlementBatcher<int>(async (items, _) =>
        {
            await release.Task;
            Interlocked.Add(ref settledCount, items.Count);
            return new Exception?[items.Count];
        }, maxBatch: 3, maxRequests: 1);

        Assert.True(batcher.DrainAsync().IsCompleted, "an idle batcher drains at once");
        _ = Enumerable.Range(0, 7).Select(batcher.SettleAsync).ToList();
        var drained = batcher.DrainAsync();
        Assert.False(drained.IsCompleted);
        release.SetResult();
        await drained.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(7, settledCount);
    }

    [Fact]
    public async Task A_short_result_list_fails_the_entries_without_a_result()
    {
        var batcher = new SettlementBatcher<int>((_, _) => Task.FromResult<IReadOnlyList<Exception?>>([]), maxBatch: 10);
        await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.SettleAsync(1));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        Assert.True(condition(), "timed out");
    }
}

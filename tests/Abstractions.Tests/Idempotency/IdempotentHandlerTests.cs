using Messaging.Adapters.Tests.TestDoubles;

namespace Messaging.Adapters.Tests.Idempotency;

public sealed class IdempotentHandlerTests
{
    private const string Consumer = "billing";
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_duplicate_is_skipped_and_reported()
    {
        var handled = 0;
        var duplicates = new List<ReceivedMessage>();
        var handler = IdempotentHandler.Wrap((_, _) => { handled++; return ValueTask.CompletedTask; }, new InMemoryIdempotencyStore(), Consumer, duplicates.Add);
        var envelope = new Envelope("order.placed", ReadOnlyMemory<byte>.Empty);
        var redelivery = new ReceivedMessage(envelope, "orders", redelivered: true);

        await handler(new ReceivedMessage(envelope, "orders"), TestToken);
        await handler(redelivery, TestToken);

        Assert.Equal(1, handled);
        Assert.Same(redelivery, Assert.Single(duplicates));
    }

    [Fact]
    public async Task Different_ids_and_different_consumers_are_not_duplicates()
    {
        var store = new InMemoryIdempotencyStore();
        var handled = new List<(string Consumer, string Id)>();
        var billing = IdempotentHandler.Wrap((m, _) => { handled.Add(("billing", m.Envelope.Id)); return ValueTask.CompletedTask; }, store, "billing");
        var shipping = IdempotentHandler.Wrap((m, _) => { handled.Add(("shipping", m.Envelope.Id)); return ValueTask.CompletedTask; }, store, "shipping");
        var one = new ReceivedMessage(new Envelope("t", ReadOnlyMemory<byte>.Empty), "q");
        var two = new ReceivedMessage(new Envelope("t", ReadOnlyMemory<byte>.Empty), "q");

        await billing(one, TestToken);
        await billing(two, TestToken);
        await shipping(one, TestToken);

        Assert.Equal([("billing", one.Envelope.Id), ("billing", two.Envelope.Id), ("shipping", one.Envelope.Id)], handled);
    }

    [Fact]
    public async Task A_failure_releases_the_claim_so_the_retry_runs()
    {
        var attempts = new List<int>();
        var duplicates = 0;
        var handler = IdempotentHandler.Wrap(
            (m, _) =>
            {
                attempts.Add(m.Attempt);
                return m.Attempt == 1 ? throw new TimeoutException("database busy") : ValueTask.CompletedTask;
            },
            new InMemoryIdempotencyStore(),
            Consumer,
            _ => duplicates++);
        var pipeline = new HandlerPipeline(handler, RetryPolicy.Default);
        var delivery = new ReceivedMessage(new Envelope("t", ReadOnlyMemory<byte>.Empty), "q");

        var first = await pipeline.HandleAsync(delivery, TestToken);
        var again = await pipeline.HandleAsync(delivery, TestToken);

        Assert.Equal(HandlingOutcome.Acknowledge, first.Outcome);
        Assert.Equal(2, first.Attempts);
        Assert.Equal([1, 2], attempts);
        Assert.Equal(HandlingOutcome.Acknowledge, again.Outcome);
        Assert.Equal(1, duplicates);
    }

    [Fact]
    public async Task A_handler_cancelled_by_a_stopping_consumer_releases_its_claim()
    {
        var store = new InMemoryIdempotencyStore();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(TestToken);
        await stopping.CancelAsync();
        var handler = IdempotentHandler.Wrap((_, ct) => ValueTask.FromCanceled(ct), store, Consumer);
        var envelope = new Envelope("t", ReadOnlyMemory<byte>.Empty);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await handler(new ReceivedMessage(envelope, "q"), stopping.Token));

        Assert.Equal(IdempotencyClaim.Claimed, await store.TryClaimAsync(Consumer, envelope.Id, TestToken));
    }

    [Fact]
    public async Task A_copy_arriving_while_the_first_is_handled_is_retried_later_not_run_concurrently()
    {
        var running = 0;
        var maxRunning = 0;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = IdempotentHandler.Wrap(
            async (_, ct) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref maxRunning, now);
                started.TrySetResult();
                await finish.Task.WaitAsync(ct);
                Interlocked.Decrement(ref running);
            },
            new InMemoryIdempotencyStore(),
            Consumer);
        var envelope = new Envelope("t", ReadOnlyMemory<byte>.Empty);
        var pipeline = new HandlerPipeline(handler, RetryPolicy.Default);

        var first = pipeline.HandleAsync(new ReceivedMessage(envelope, "q"), TestToken).AsTask();
        await started.Task.WaitAsync(WaitLimit, TestToken);

        var direct = await Assert.ThrowsAsync<DuplicateInProgressException>(async () => await handler(new ReceivedMessage(envelope, "q"), TestToken));
        var second = await pipeline.HandleAsync(new ReceivedMessage(envelope, "q", redelivered: true), TestToken);

        Assert.Equal(Consumer, direct.Consumer);
        Assert.Equal(envelope.Id, direct.MessageId);
        Assert.Contains(envelope.Id, direct.Message, StringComparison.Ordinal);
        Assert.Equal(HandlingOutcome.RetryLater, second.Outcome);
        Assert.False(first.IsCompleted);

        finish.SetResult();
        Assert.Equal(HandlingOutcome.Acknowledge, (await first.WaitAsync(WaitLimit, TestToken)).Outcome);
        Assert.Equal(1, Volatile.Read(ref maxRunning));

        // The delayed retry of the copy now finds the id handled and is skipped.
        var retried = second.Message!;
        var third = await pipeline.HandleAsync(new ReceivedMessage(retried, "q", DeliveryAttempts.NextAttempt(retried)), TestToken);
        Assert.Equal(HandlingOutcome.Acknowledge, third.Outcome);
        Assert.Equal(0, Volatile.Read(ref running));
    }

    [Fact]
    public async Task A_handled_id_is_remembered_for_the_retention_period_and_then_forgotten()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new InMemoryIdempotencyStore(TimeSpan.FromMinutes(10), clock);
        var handled = 0;
        var duplicates = 0;
        var handler = IdempotentHandler.Wrap((_, _) => { handled++; return ValueTask.CompletedTask; }, store, Consumer, _ => duplicates++);
        var delivery = new ReceivedMessage(new Envelope("t", ReadOnlyMemory<byte>.Empty), "q");

        await handler(delivery, TestToken);
        clock.Advance(TimeSpan.FromMinutes(10));
        await handler(delivery, TestToken);
        Assert.Equal((1, 1), (handled, duplicates));

        clock.Advance(TimeSpan.FromTicks(1));
        await handler(delivery, TestToken);
        Assert.Equal((2, 1), (handled, duplicates));

        await handler(delivery, TestToken);
        Assert.Equal((2, 2), (handled, duplicates));
    }

    [Fact]
    public async Task The_store_tells_claimed_in_progress_and_handled_apart()
    {
        var store = new InMemoryIdempotencyStore();

        Assert.Equal(IdempotencyClaim.Claimed, await store.TryClaimAsync("c", "m", TestToken));
        Assert.Equal(IdempotencyClaim.InProgress, await store.TryClaimAsync("c", "m", TestToken));
        Assert.Equal(IdempotencyClaim.Claimed, await store.TryClaimAsync("other", "m", TestToken));
        await store.CompleteAsync("c", "m", TestToken);
        Assert.Equal(IdempotencyClaim.AlreadyHandled, await store.TryClaimAsync("c", "m", TestToken));

        // Releasing after completion must not make a handled id new again.
        await store.ReleaseAsync("c", "m", TestToken);
        Assert.Equal(IdempotencyClaim.AlreadyHandled, await store.TryClaimAsync("c", "m", TestToken));
    }

    [Fact]
    public async Task Only_one_of_many_concurrent_claims_of_an_id_wins()
    {
        var store = new InMemoryIdempotencyStore();

        var claims = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => store.TryClaimAsync("c", "m", TestToken).AsTask(), TestToken)));

        Assert.Equal(1, claims.Count(c => c == IdempotencyClaim.Claimed));
        Assert.Equal(63, claims.Count(c => c == IdempotencyClaim.InProgress));
    }

    [Fact]
    public void The_store_rejects_a_retention_that_is_not_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryIdempotencyStore(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryIdempotencyStore(TimeSpan.FromSeconds(-1)));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}

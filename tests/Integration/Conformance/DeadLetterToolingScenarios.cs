namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// What an operator does with dead-letter queues (<see cref="IDeadLetters"/>): count and peek without consuming (exact
/// where the transport counts exactly, its declared estimate where not), re-send some, all or a filtered part with a
/// result naming the ids, keep every other letter in the queue, and never make a dead-letter queue of a dead-letter queue.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class DeadLetterToolingScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    private const string Reason = "conformance: cannot be handled yet";
    private const string OtherType = "conformance.other";

    private DeadLetters Letters => new(Transport);

    private bool CanInspect => Fixture.Capabilities.QueueInspection;

    [Fact]
    public async Task Count_and_peek_show_the_letters_with_their_reason_and_leave_them_in_the_queue()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.QueueInspection));
        await using var scope = Fixture.StartScenario();
        var messages = Fixture.NewMessages(5);
        var expected = IdsOf(messages);
        var (queue, deadLetterQueue, _) = await DeadLetterAsync(scope, messages);
        await ExpectedLettersAsync(deadLetterQueue, queue, messages.Count);

        var count = await Letters.CountAsync(deadLetterQueue, Ct);
        var first = await Letters.PeekAsync(deadLetterQueue, 10, Ct);
        var again = await Letters.PeekAsync(deadLetterQueue, 10, Ct);
        var two = await Letters.PeekAsync(deadLetterQueue, 2, Ct);

        Assert.True(count.Exists);
        AssertCount(count, expected.Count);
        AssertPeeked(first, expected, count.IsApproximate);
        AssertPeeked(again, expected, count.IsApproximate);
        Assert.True(two.Count <= 2 && two.Count >= (count.IsApproximate ? 1 : 2), $"A peek of 2 returned {two.Count} letters.");
        Assert.Subset(expected.ToHashSet(), two.Select(l => l.Id).ToHashSet());
        foreach (var letter in first)
        {
            Assert.Equal(queue, letter.Source);
            Assert.Equal(Reason, letter.Reason);
            Assert.Equal(1, letter.Attempts);
            Assert.NotNull(letter.DeadLetteredAt);
            Assert.Null(letter.RedriveRefusal);
        }

        // Nothing was consumed: a redrive of everything still finds every letter.
        var result = await Letters.RedriveAsync(deadLetterQueue, RedriveOptions(), Ct);
        Assert.Equal(expected.Order(StringComparer.Ordinal), result.Redriven.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Peeking_more_often_than_any_delivery_limit_loses_no_letter()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.QueueInspection));
        await using var scope = Fixture.StartScenario();
        var messages = Fixture.NewMessages(3);
        var (queue, deadLetterQueue, _) = await DeadLetterAsync(scope, messages);
        await ExpectedLettersAsync(deadLetterQueue, queue, messages.Count);

        // More than RabbitMQ's default x-delivery-limit (10): a peek that counted as a delivery would lose them by now.
        for (var i = 0; i < 12; i++)
        {
            Assert.NotEmpty(await Letters.PeekAsync(deadLetterQueue, 10, Ct));
        }

        AssertCount(await Letters.CountAsync(deadLetterQueue, Ct), messages.Count);
        Assert.False((await Letters.CountAsync(deadLetterQueue + DestinationNames.DeadLetterSuffix, Ct)).Exists, "Peeking must not move letters anywhere.");
        var result = await Letters.RedriveAsync(deadLetterQueue, RedriveOptions(), Ct);
        Assert.Equal(IdsOf(messages).Order(StringComparer.Ordinal), result.Redriven.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_redrive_of_3_of_5_re_sends_3_and_leaves_exactly_the_other_2()
    {
        await using var scope = Fixture.StartScenario();
        var messages = Fixture.NewMessages(5);
        var (queue, deadLetterQueue, source) = await DeadLetterAsync(scope, messages);
        await ExpectedLettersAsync(deadLetterQueue, queue, messages.Count);
        source.Fix();

        var first = await Letters.RedriveAsync(deadLetterQueue, RedriveOptions() with { MaxMessages = 3 }, Ct);

        Assert.Equal(RedriveEnd.LimitReached, first.Ended);
        Assert.Equal(3, first.RedrivenCount);
        Assert.Empty(first.Kept);
        Assert.Subset(IdsOf(messages).ToHashSet(), first.Redriven.ToHashSet());
        await source.Handled.AssertReceivesExactlyAsync(first.Redriven, Fixture);
        var rest = IdsOf(messages).Except(first.Redriven).ToList();
        if (CanInspect)
        {
            var count = await Letters.CountAsync(deadLetterQueue, Ct);
            AssertCount(count, 2);
            AssertPeeked(await Letters.PeekAsync(deadLetterQueue, 10, Ct), rest, count.IsApproximate);
        }

        var second = await Letters.RedriveAsync(deadLetterQueue, RedriveOptions(), Ct);
        Assert.Equal(rest.Order(StringComparer.Ordinal), second.Redriven.Order(StringComparer.Ordinal));
        await source.Handled.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
    }

    [Fact]
    public async Task A_redrive_until_empty_re_sends_every_letter_and_reports_their_ids()
    {
        await using var scope = Fixture.StartScenario();
        var messages = Fixture.NewMessages(5, (i, m) => m.WithHeader("conformance.original", $"value {i}"));
        var (queue, deadLetterQueue, source) = await DeadLetterAsync(scope, messages);
        await ExpectedLettersAsync(deadLetterQueue, queue, messages.Count);
        source.Fix();

        var result = await Letters.RedriveAsync(deadLetterQueue, RedriveOptions(), Ct);

        Assert.Equal(RedriveEnd.Emptied, result.Ended);
        Assert.Equal(IdsOf(messages).Order(StringComparer.Ordinal), result.Redriven.Order(StringComparer.Ordinal));
        Assert.Empty(result.Kept);
        await source.Handled.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        foreach (var original in messages)
        {
            var delivery = Assert.Single(source.Handled.Deliveries, d => d.Envelope.Id == original.Id);
            Assert.Equal(queue, delivery.Source);
            Assert.Equal(1, delivery.Attempt);
            Assert.DoesNotContain(delivery.Envelope.Headers.Keys, EnvelopeHeaders.IsReserved);
            Assert.Equal(original.Headers.OrderBy(h => h.Key, StringComparer.Ordinal), HeadersAsSent(original, delivery.Envelope));
        }

        if (CanInspect)
        {
            AssertCount(await Letters.CountAsync(deadLetterQueue, Ct), 0);
        }
    }

    [Fact]
    public async Task A_redrive_filtered_by_type_re_sends_that_type_and_leaves_the_others_in_place()
    {
        await using var scope = Fixture.StartScenario();
        var messages = Fixture.NewMessages(5, (i, m) => i % 2 == 0 ? m : m with { Type = OtherType });
        var wanted = IdsOf(messages.Where(m => m.Type != OtherType));
        var others = IdsOf(messages.Where(m => m.Type == OtherType));
        var (queue, deadLetterQueue, source) = await DeadLetterAsync(scope, messages);
        await ExpectedLettersAsync(deadLetterQueue, queue, messages.Count);
        source.Fix();

        var result = await Letters.RedriveAsync(deadLetterQueue, RedriveOptions() with { MessageTypes = [messages[0].Type] }, Ct);

        Assert.Equal(wanted.Order(StringComparer.Ordinal), result.Redriven.Order(StringComparer.Ordinal));
        Assert.Equal(others.Order(StringComparer.Ordinal), result.Kept.Select(k => k.Id).Order(StringComparer.Ordinal));
        Assert.All(result.Kept, kept => Assert.False(kept.Refused));
        Assert.All(result.Kept, kept => Assert.Equal(OtherType, kept.Type));
        await source.Handled.AssertReceivesExactlyAsync(wanted, Fixture);
        if (CanInspect)
        {
            var count = await Letters.CountAsync(deadLetterQueue, Ct);
            AssertCount(count, others.Count);
            var left = await Letters.PeekAsync(deadLetterQueue, 10, Ct);
            AssertPeeked(left, others, count.IsApproximate);
            Assert.All(left, letter => Assert.Equal(queue, letter.Source));
            Assert.All(left, letter => Assert.Equal(Reason, letter.Reason));
        }

        // They are still there, as they were: a redrive of everything finds them, and only them.
        var rest = await Letters.RedriveAsync(deadLetterQueue, RedriveOptions() with { ReasonContains = "CANNOT BE HANDLED" }, Ct);
        Assert.Equal(others.Order(StringComparer.Ordinal), rest.Redriven.Order(StringComparer.Ordinal));
        await source.Handled.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
    }

    [Fact]
    public async Task Letters_a_redrive_refuses_stay_in_the_dead_letter_queue_with_the_reason_reported()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("refused");
        var deadLetterQueue = DestinationNames.DeadLetterQueue(queue);
        scope.Track(Destination.Queue(deadLetterQueue));
        await Transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);

        // Put there by hand: no source to go back to.
        var orphans = Fixture.NewMessages(2, (_, m) => m.WithHeader("conformance.note", "no source"));
        await SendAllAsync(deadLetterQueue, orphans);
        await ExpectedLettersAsync(deadLetterQueue, source: null, orphans.Count);

        var result = await Letters.RedriveAsync(deadLetterQueue, RedriveOptions(), Ct);

        Assert.Empty(result.Redriven);
        Assert.Equal(IdsOf(orphans).Order(StringComparer.Ordinal), result.Kept.Select(k => k.Id).Order(StringComparer.Ordinal));
        Assert.All(result.Kept, kept => Assert.True(kept.Refused));
        Assert.All(result.Kept, kept => Assert.Contains(EnvelopeHeaders.DeadLetterSource, kept.Reason, StringComparison.Ordinal));
        if (CanInspect)
        {
            var count = await Letters.CountAsync(deadLetterQueue, Ct);
            AssertCount(count, orphans.Count);
            var left = await Letters.PeekAsync(deadLetterQueue, 10, Ct);
            AssertPeeked(left, IdsOf(orphans), count.IsApproximate);
            Assert.All(left, letter => Assert.Equal("no source", letter.Envelope.Headers.GetValueOrDefault("conformance.note")));
            Assert.False((await Letters.CountAsync(deadLetterQueue + DestinationNames.DeadLetterSuffix, Ct)).Exists);
        }

        var again = await Letters.RedriveAsync(deadLetterQueue, RedriveOptions(), Ct);
        Assert.Equal(IdsOf(orphans).Order(StringComparer.Ordinal), again.Kept.Select(k => k.Id).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_failing_consumer_of_a_dead_letter_queue_keeps_the_letter_there_with_the_new_reason_and_makes_no_dead_letter_queue_of_it()
    {
        await using var scope = Fixture.StartScenario();
        var messages = Fixture.NewMessages(1);
        var id = messages[0].Id;
        var (queue, deadLetterQueue, source) = await DeadLetterAsync(scope, messages);
        await ExpectedLettersAsync(deadLetterQueue, queue, messages.Count);
        var seen = NewLog($"failing reader of {deadLetterQueue}");
        var reader = await Transport.Queue.ConsumeAsync(
            deadLetterQueue,
            (letter, _) =>
            {
                seen.Record(letter);
                throw new DeadLetterException("conformance: the operator's tool failed");
            },
            new ConsumerOptions { MaxInFlight = 1, Retry = RetryPolicy.None },
            Ct);
        try
        {
            // It fails, goes back into the same queue, and is read again with the new reason.
            await seen.WaitForCountAsync(2, Fixture.Timeout, Ct);
        }
        finally
        {
            await reader.DisposeAsync();
        }

        Assert.All(seen.Deliveries, d => Assert.Equal(id, d.Envelope.Id));
        var second = new DeadLetter(seen.Deliveries[1].Envelope);
        Assert.Equal("conformance: the operator's tool failed", second.Reason);
        Assert.Equal(queue, second.Source);
        Assert.Equal(1, second.Attempts);
        if (CanInspect)
        {
            Assert.False((await Letters.CountAsync(deadLetterQueue + DestinationNames.DeadLetterSuffix, Ct)).Exists, $"'{deadLetterQueue}{DestinationNames.DeadLetterSuffix}' must not exist.");
            await ExpectedLettersAsync(deadLetterQueue, queue, 1);
            var letter = Assert.Single(await Letters.PeekAsync(deadLetterQueue, 10, Ct));
            Assert.Equal(id, letter.Id);
            Assert.Equal("conformance: the operator's tool failed", letter.Reason);
        }

        // Still redrivable to where it failed first.
        source.Fix();
        var result = await Letters.RedriveAsync(deadLetterQueue, RedriveOptions(), Ct);
        Assert.Equal([id], result.Redriven);
        await source.Handled.AssertReceivesExactlyAsync([id], Fixture);
    }

    [Fact]
    public async Task Counting_and_peeking_are_refused_without_QueueInspection()
    {
        Capability.RequireMissing(Fixture, nameof(TransportCapabilities.QueueInspection));
        var deadLetterQueue = DestinationNames.DeadLetterQueue(Fixture.UniqueName("uninspectable"));

        var count = await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => Letters.CountAsync(deadLetterQueue, Ct));
        var peek = await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => Letters.PeekAsync(deadLetterQueue, 10, Ct));

        Assert.All([count, peek], refusal => Assert.Equal(nameof(TransportCapabilities.QueueInspection), refusal.Capability));
        Assert.All([count, peek], refusal => Assert.Equal(Fixture.TransportName, refusal.Transport));
    }

    /// <summary>Without a count to stop at, a run ends when no letter comes for its idle timeout: short here.</summary>
    private DeadLetterRedriveOptions RedriveOptions() => new() { IdleTimeout = CanInspect ? Fixture.Timeout : TimeSpan.FromSeconds(1) };

    /// <summary>Sends the messages to a new queue whose consumer dead-letters each at once with <see cref="Reason"/>;
    /// the consumer keeps running, and handles what comes back once fixed.</summary>
    private async Task<(string Queue, string DeadLetterQueue, FailsUntilFixed Source)> DeadLetterAsync(ScenarioScope scope, IReadOnlyList<Envelope> messages)
    {
        var queue = scope.NewQueue("dead-letters");
        var deadLetterQueue = DestinationNames.DeadLetterQueue(queue);
        scope.Track(Destination.Queue(deadLetterQueue));
        var failures = NewLog($"failures in {queue}");
        var handled = NewLog($"{queue} after the fix");
        var source = new FailsUntilFixed(failures, handled);
        await scope.ConsumeAsync(
            queue,
            async (message, cancellationToken) =>
            {
                try
                {
                    await source.Handler(message, cancellationToken);
                }
                catch (InvalidOperationException)
                {
                    throw new DeadLetterException(Reason);
                }
            },
            new ConsumerOptions { Retry = RetryPolicy.None });
        await SendAllAsync(queue, messages);
        await failures.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        return (queue, deadLetterQueue, source);
    }

    /// <summary>Waits until the dead-letter queue holds the expected number of letters, all from
    /// <paramref name="source"/> (where the transport counts; elsewhere, a quiet period for the dead-lettering to settle).</summary>
    private async Task ExpectedLettersAsync(string deadLetterQueue, string? source, int expected)
    {
        if (!CanInspect)
        {
            await Task.Delay(Fixture.QuietPeriod, Ct);
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Fixture.Timeout);
        QueueCount count;
        while ((count = await Letters.CountAsync(deadLetterQueue, timeout.Token)).Messages < expected)
        {
            await Task.Delay(50, timeout.Token);
        }

        AssertCount(count, expected);
        if (source is not null)
        {
            Assert.All(await Letters.PeekAsync(deadLetterQueue, 100, Ct), l => Assert.Equal(source, l.Source));
        }
    }

    /// <summary>Exact where the transport counts exactly; where it estimates (SQS), the estimate is declared and, on a
    /// queue nobody touches, settles on the number.</summary>
    private static void AssertCount(QueueCount count, int expected) =>
        Assert.True(count.Messages == expected, $"The dead-letter queue counts {count.Messages} letters{(count.IsApproximate ? " (approximately)" : "")}, expected {expected}.");

    /// <summary>Every letter once, exactly the expected ones; where counts are estimates (SQS), a peek may see fewer.</summary>
    private static void AssertPeeked(IReadOnlyList<DeadLetter> letters, IReadOnlyCollection<string> expected, bool approximate)
    {
        var ids = letters.Select(l => l.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        if (approximate)
        {
            Assert.NotEmpty(ids);
            Assert.Subset(expected.ToHashSet(StringComparer.Ordinal), ids.ToHashSet(StringComparer.Ordinal));
        }
        else
        {
            Assert.Equal(expected.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        }
    }
}

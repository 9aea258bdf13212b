using System.Globalization;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Streams: reader groups read the whole log from a chosen position, in order within a partition, checkpoint how far
/// they got and resume there, independently of each other. Transports without streams refuse every stream call.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class StreamScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    private const string SequenceHeader = "conformance.sequence";

    [Fact]
    public async Task A_reader_from_the_beginning_gets_every_message_in_append_order()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("log");
        var before = Numbered(0, 25);
        await AppendAllAsync(stream, before);
        var log = NewLog("reader from the beginning");
        await scope.ReadAsync(stream, scope.NewReaderGroup(stream), log.Handler, new StreamReadOptions { StartPosition = StreamPosition.Beginning });
        var after = Numbered(25, 25);
        await AppendAllAsync(stream, after);

        List<Envelope> all = [.. before, .. after];
        await log.AssertReceivesExactlyAsync(IdsOf(all), Fixture);
        AssertAppendOrderWithinPartitions(log, all, stream);
    }

    [Fact]
    public async Task A_reader_from_an_offset_gets_that_message_and_everything_after_it()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("offsets");
        var messages = Numbered(0, 30);
        await AppendAllAsync(stream, messages);
        var positions = NewLog("reader that learns the offsets");
        await scope.ReadAsync(stream, scope.NewReaderGroup(stream), positions.Handler);
        await positions.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);

        const long from = 10;
        var expected = positions.Deliveries.Where(d => d.StreamOffset >= from).Select(d => d.Envelope.Id).ToList();
        Assert.NotEmpty(expected);
        Assert.NotEqual(messages.Count, expected.Count);
        var log = NewLog($"reader from offset {from}");
        await scope.ReadAsync(stream, scope.NewReaderGroup(stream), log.Handler, new StreamReadOptions { StartPosition = StreamPosition.AtOffset(from) });

        await log.AssertReceivesExactlyAsync(expected, Fixture);
        Assert.All(log.Deliveries, d => Assert.True(d.StreamOffset >= from, $"{d.Envelope.Id} at offset {d.StreamOffset} is before {from}."));
    }

    [Fact]
    public async Task A_reader_from_the_end_gets_only_messages_appended_afterwards()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("tail");
        await AppendAllAsync(stream, Numbered(0, 10));
        var log = NewLog("reader from the end");
        await scope.ReadAsync(stream, scope.NewReaderGroup(stream), log.Handler, new StreamReadOptions { StartPosition = StreamPosition.End });
        var later = Numbered(10, 10);
        await AppendAllAsync(stream, later);

        await log.AssertReceivesExactlyAsync(IdsOf(later), Fixture);
    }

    [Fact]
    public async Task A_reader_from_a_time_gets_the_messages_appended_from_then_on()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        Capability.Require(Fixture, nameof(TransportCapabilities.StreamStartAtTime));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("timed");
        await AppendAllAsync(stream, Numbered(0, 10));

        // Fixed gaps on purpose: they put clear daylight between the two batches' append times, on either side of the
        // time the reader starts from, whatever the clock's resolution.
        await Task.Delay(50, Ct);
        var from = DateTimeOffset.UtcNow;
        await Task.Delay(50, Ct);
        var later = Numbered(10, 10);
        await AppendAllAsync(stream, later);

        var log = NewLog($"reader from {from:O}");
        await scope.ReadAsync(stream, scope.NewReaderGroup(stream), log.Handler, new StreamReadOptions { StartPosition = StreamPosition.AtTime(from) });

        await log.AssertReceivesExactlyAsync(IdsOf(later), Fixture);
    }

    [Fact]
    public async Task A_reader_group_resumes_after_its_checkpoint_without_losing_anything()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("checkpoints");
        var group = scope.NewReaderGroup(stream, "resuming");
        const int checkpointEvery = 10;
        const int handledBeforeStop = 40;
        var options = new StreamReadOptions { CheckpointEvery = checkpointEvery };
        var first = Numbered(0, 100);
        await AppendAllAsync(stream, first);
        var both = NewLog("both runs of the reader group");
        var firstRun = NewLog("first run");
        var stuck = NewSignal();

        // The first run stops mid-way: from message 40 on its handler hangs until the stop cancels it.
        var reader = await scope.ReadAsync(
            stream,
            group,
            async (message, cancellationToken) =>
            {
                if (SequenceOf(message) >= handledBeforeStop)
                {
                    stuck.TrySetResult();
                    await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
                }

                firstRun.Record(message);
                both.Record(message);
            },
            options);
        await firstRun.WaitForCountAsync(handledBeforeStop, Fixture.Timeout, Ct);
        await Within(stuck.Task, "the first run to reach message 40");
        await Within(reader.StopAsync(new CancellationToken(canceled: true)), "the first run to stop");
        firstRun.AssertExactlyOnce(IdsOf(first.Take(handledBeforeStop)));

        var second = Numbered(100, 50);
        await AppendAllAsync(stream, second);
        var secondRun = NewLog("second run");
        await scope.ReadAsync(
            stream,
            group,
            (message, _) =>
            {
                secondRun.Record(message);
                both.Record(message);
                return ValueTask.CompletedTask;
            },
            options);

        List<Envelope> all = [.. first, .. second];
        await secondRun.WaitForAsync(IdsOf(all.Skip(handledBeforeStop)), Fixture.Timeout, Ct);
        await Task.Delay(Fixture.QuietPeriod, Ct);
        var difference = both.Compare(IdsOf(all));
        Assert.True(difference.Missing.Count == 0 && difference.Unexpected.Count == 0, $"Resuming from the checkpoint lost or invented messages: {difference}");
        Assert.True(
            difference.ExtraDeliveries <= checkpointEvery,
            $"Resuming read {difference.ExtraDeliveries} message(s) again, more than CheckpointEvery ({checkpointEvery}): {difference}");
    }

    [Fact]
    public async Task Reader_groups_are_independent_of_each_other()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("groups");
        var groupA = scope.NewReaderGroup(stream, "a");
        var groupB = scope.NewReaderGroup(stream, "b");
        var first = Numbered(0, 30);
        await AppendAllAsync(stream, first);
        var aFirst = NewLog($"group {groupA}, first run");
        var readerA = await scope.ReadAsync(stream, groupA, aFirst.Handler);
        await aFirst.AssertReceivesExactlyAsync(IdsOf(first), Fixture);
        await Within(readerA.StopAsync(Ct), $"group {groupA} to stop");

        var second = Numbered(30, 20);
        await AppendAllAsync(stream, second);
        var bLog = NewLog($"group {groupB}");
        var aSecond = NewLog($"group {groupA}, second run");
        await scope.ReadAsync(stream, groupB, bLog.Handler);
        await scope.ReadAsync(stream, groupA, aSecond.Handler);

        await Task.WhenAll(
            bLog.AssertReceivesExactlyAsync(IdsOf([.. first, .. second]), Fixture),
            aSecond.AssertReceivesExactlyAsync(IdsOf(second), Fixture));
    }

    [Fact]
    public async Task A_reader_group_can_replay_from_its_start_position_ignoring_its_checkpoint()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("replay");
        var group = scope.NewReaderGroup(stream, "replaying");
        var messages = Numbered(0, 20);
        await AppendAllAsync(stream, messages);
        var firstRun = NewLog("first run");
        var reader = await scope.ReadAsync(stream, group, firstRun.Handler);
        await firstRun.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        await Within(reader.StopAsync(Ct), "the first run to stop");

        var replay = NewLog("replay");
        await scope.ReadAsync(stream, group, replay.Handler, new StreamReadOptions { StartPosition = StreamPosition.Beginning, ResumeFromCheckpoint = false });

        await replay.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
    }

    [Fact]
    public async Task Two_readers_of_one_group_share_the_stream_and_the_survivor_takes_over()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("shared");
        var group = scope.NewReaderGroup(stream, "shared");
        await Transport.Topology.EnsureAsync(Destination.Stream(stream), Ct);
        var both = NewLog("both readers");
        var secondOnly = NewLog("second reader");
        var first = await scope.ReadAsync(stream, group, both.Handler);
        var other = await Fixture.ConnectAnotherAsync(Ct);
        await scope.ReadAsync(
            stream,
            group,
            (message, _) =>
            {
                both.Record(message);
                secondOnly.Record(message);
                return ValueTask.CompletedTask;
            },
            on: other);

        var before = Numbered(0, 40);
        await AppendAllAsync(stream, before);
        await both.AssertReceivesExactlyAsync(IdsOf(before), Fixture);
        await Within(first.StopAsync(Ct), "the first reader to stop");

        var after = Numbered(40, 40);
        await AppendAllAsync(stream, after);
        await secondOnly.WaitForAsync(IdsOf(after), Fixture.Timeout, Ct);
        await Task.Delay(Fixture.QuietPeriod, Ct);
        both.AssertExactlyOnce(IdsOf([.. before, .. after]));
    }

    [Fact]
    public async Task Messages_with_one_key_stay_in_one_partition_in_append_order()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("keyed");
        var messages = Numbered(0, 160, i => $"key-{i % 4}");
        await AppendAllAsync(stream, messages);
        var log = NewLog("keyed reader");
        await scope.ReadAsync(stream, scope.NewReaderGroup(stream), log.Handler);

        await log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        foreach (var key in messages.Select(m => m.Key!).Distinct())
        {
            var deliveries = log.Deliveries.Where(d => d.Envelope.Key == key).ToList();
            var partitions = deliveries.Select(d => d.StreamPartition).Distinct().ToList();
            Assert.True(partitions.Count == 1, $"{key} was spread over partitions {string.Join(", ", partitions)}.");
            Assert.Equal(messages.Where(m => m.Key == key).Select(m => m.Id), deliveries.Select(d => d.Envelope.Id));
        }
    }

    [Fact]
    public async Task A_failing_stream_message_goes_to_the_group_dead_letter_queue_and_the_reader_moves_on()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("failing");
        var group = scope.NewReaderGroup(stream, "failing");
        var messages = Numbered(0, 6);
        var poison = messages[2];
        var deadLetterQueue = ScenarioScope.StreamDeadLetterQueue(stream, group);
        var deadLetters = NewLog($"dead-letter queue {deadLetterQueue}");
        var handled = NewLog("handled");
        await scope.ConsumeAsync(deadLetterQueue, deadLetters.Handler);
        await scope.ReadAsync(
            stream,
            group,
            (message, _) =>
            {
                if (message.Envelope.Id == poison.Id)
                {
                    throw new InvalidOperationException($"conformance: {poison.Id} always fails");
                }

                handled.Record(message);
                return ValueTask.CompletedTask;
            },
            new StreamReadOptions { Retry = Fixture.FastRetry });

        await AppendAllAsync(stream, messages);

        await Task.WhenAll(
            deadLetters.AssertReceivesExactlyAsync([poison.Id], Fixture),
            handled.AssertReceivesExactlyAsync(IdsOf(messages.Where(m => m.Id != poison.Id)), Fixture));
        var headers = deadLetters.Deliveries[0].Envelope.Headers;
        Assert.Equal(Fixture.FastRetry.MaxAttempts.ToString(CultureInfo.InvariantCulture), headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterAttempts));
        Assert.Equal(stream, headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterSource));
        Assert.Equal(group, headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterReaderGroup));
        Assert.NotNull(headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterStreamPartition));
        Assert.NotNull(headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterStreamOffset));
    }

    [Fact]
    public async Task A_reader_groups_dead_letters_are_never_re_sent_into_the_stream_and_say_where_to_read_them_again()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("redrive");
        var group = scope.NewReaderGroup(stream, "redrive");
        var other = scope.NewReaderGroup(stream, "other");
        var deadLetterQueue = ScenarioScope.StreamDeadLetterQueue(stream, group);
        var messages = Numbered(0, 4);
        var poison = messages[1];
        var seenByGroup = NewLog($"group {group}");
        var seenByOther = NewLog($"group {other}");
        await scope.ReadAsync(
            stream,
            group,
            (message, _) =>
            {
                seenByGroup.Record(message);
                return message.Envelope.Id == poison.Id ? throw new DeadLetterException("conformance: poison") : ValueTask.CompletedTask;
            });
        await scope.ReadAsync(stream, other, seenByOther.Handler);

        await AppendAllAsync(stream, messages);
        await seenByGroup.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        var deadLetters = new DeadLetters(Transport);
        var redrive = new DeadLetterRedriveOptions { IdleTimeout = Fixture.Timeout };
        while (Fixture.Capabilities.QueueInspection && (await deadLetters.CountAsync(deadLetterQueue, Ct)).Messages < 1)
        {
            await Task.Delay(50, Ct);
        }

        var result = await deadLetters.RedriveAsync(deadLetterQueue, redrive, Ct);

        // Refused, and kept in the dead-letter queue (there is no dead-letter queue of a dead-letter queue).
        Assert.Empty(result.Redriven);
        var kept = Assert.Single(result.Kept);
        Assert.Equal(poison.Id, kept.Id);
        Assert.True(kept.Refused);
        Assert.Contains($"reader group '{group}' of stream '{stream}'", kept.Reason, StringComparison.Ordinal);
        Assert.Contains("offset", kept.Reason, StringComparison.Ordinal);
        if (Fixture.Capabilities.QueueInspection)
        {
            var letter = Assert.Single(await deadLetters.PeekAsync(deadLetterQueue, 10, Ct));
            Assert.Equal(poison.Id, letter.Id);
            Assert.Equal(group, letter.ReaderGroup);
            Assert.False((await deadLetters.CountAsync(DestinationNames.DeadLetterQueue(deadLetterQueue), Ct)).Exists);
        }

        // Nothing was appended: both groups saw each message exactly once, the poison included.
        await seenByOther.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        Assert.Equal(IdsOf(messages), seenByGroup.Deliveries.Select(d => d.Envelope.Id));
        Assert.Equal(IdsOf(messages), seenByOther.Deliveries.Select(d => d.Envelope.Id));
    }

    [Fact]
    public async Task Every_stream_call_is_refused_where_the_transport_has_no_streams()
    {
        Capability.RequireMissing(Fixture, nameof(TransportCapabilities.Streams));
        var stream = Fixture.UniqueName("absent");
        var message = Fixture.NewMessage();
        AssertRefused(await Assert.ThrowsAsync<CapabilityNotSupportedException>(async () => await Transport.Stream.AppendAsync(stream, message, Ct)));
        AssertRefused(await Assert.ThrowsAsync<CapabilityNotSupportedException>(async () => await Transport.Stream.AppendBatchAsync(stream, [message], Ct)));
        AssertRefused(await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => Transport.Stream.ReadAsync(stream, "group", NewLog("never").Handler, null, Ct)));

        void AssertRefused(CapabilityNotSupportedException error)
        {
            Assert.Equal(nameof(TransportCapabilities.Streams), error.Capability);
            Assert.Equal(Fixture.TransportName, error.Transport);
        }
    }

    [Fact]
    public async Task A_read_from_a_time_is_refused_where_the_transport_cannot_start_at_a_time()
    {
        Capability.RequireMissing(Fixture, nameof(TransportCapabilities.StreamStartAtTime));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("no-time");
        var options = new StreamReadOptions { StartPosition = StreamPosition.AtTime(DateTimeOffset.UtcNow.AddMinutes(-1)) };

        var error = await Assert.ThrowsAsync<CapabilityNotSupportedException>(
            () => scope.ReadAsync(stream, scope.NewReaderGroup(stream), NewLog("never").Handler, options));

        // A transport without streams refuses every read for that first (the scenario above); one with streams
        // refuses this read for the start position.
        var missing = Fixture.Capabilities.Streams ? nameof(TransportCapabilities.StreamStartAtTime) : nameof(TransportCapabilities.Streams);
        Assert.Equal(missing, error.Capability);
        Assert.Equal(Fixture.TransportName, error.Transport);
    }

    private static int SequenceOf(ReceivedMessage message) => int.Parse(message.Envelope.Headers[SequenceHeader], CultureInfo.InvariantCulture);

    private List<Envelope> Numbered(int from, int count, Func<int, string?>? key = null) =>
        Fixture.NewMessages(count, (i, m) => m.WithHeader(SequenceHeader, (from + i).ToString(CultureInfo.InvariantCulture)) with { Key = key?.Invoke(from + i) }).ToList();

    private static void AssertAppendOrderWithinPartitions(DeliveryLog log, IReadOnlyList<Envelope> appended, string stream)
    {
        var appendIndex = appended.Select((m, i) => (m.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        foreach (var partition in log.Deliveries.GroupBy(d => d.StreamPartition))
        {
            var deliveries = partition.ToList();
            Assert.All(deliveries, d => Assert.Equal(stream, d.Source));
            Assert.All(deliveries, d => Assert.NotNull(d.StreamOffset));
            Assert.NotNull(partition.Key);
            for (var i = 1; i < deliveries.Count; i++)
            {
                var (previous, current) = (deliveries[i - 1], deliveries[i]);
                Assert.True(
                    appendIndex[previous.Envelope.Id] < appendIndex[current.Envelope.Id] && previous.StreamOffset < current.StreamOffset,
                    $"Partition {partition.Key}: {current.Envelope.Id} (offset {current.StreamOffset}) was read after {previous.Envelope.Id} (offset {previous.StreamOffset}), against append order.");
            }
        }
    }
}

using System.Collections.Concurrent;
using Messaging.Adapters;
using OrderWorkflow.Services;
using OrderWorkflow.Story;

namespace OrderWorkflow.Steps;

/// <summary>
/// Step 4: every order event of steps 1-3 was also appended to the order-events stream. An analytics reader group
/// replays it from the beginning and counts events per type; a second reader group replays it independently; then
/// the analytics group, started again, resumes after its checkpoint and reads only what is new.
/// </summary>
internal sealed class StreamReplayStep(ITransport transport, OrderEvents events, WorkflowNames names, Milestones milestones, Checklist checks, Narrator narrator) : IWorkflowStep
{
    private static readonly string[] ReplayingGroups = ["analytics", "fraud-audit"];

    public string Title => "Replay: reader groups read the order-events stream from the beginning";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!events.StreamsAvailable)
        {
            checks.Skip("reader groups replay the order-events stream", $"the {transport.Name} transport has no streams (TransportCapabilities.Streams is off)");
            return;
        }

        var appended = events.AppendedByType;
        var total = events.AppendedTotal;
        narrator.Line($"{total} events were appended to {names.OrderEventsStream} during steps 1-3");
        checks.Verify(total > 0, "steps 1-3 appended their order events to the stream");

        foreach (var group in ReplayingGroups)
        {
            var replay = await ReadAsync(group, "replay", total, cancellationToken).ConfigureAwait(false);
            narrator.Say(group, $"replayed {replay.Read} events from the beginning:");
            foreach (var (type, count) in replay.CountsByType)
            {
                narrator.Line($"    {type,-20} {count,3}");
            }

            checks.Verify(replay.CountsByType.SequenceEqual(appended), $"reader group '{group}' replayed every event, counted per type",
                $"read {Format(replay.CountsByType)}; appended {Format(appended)}");
        }

        // Something new happens: the carrier delivers order 1001's parcel.
        var delivered = events.Create(new OrderDelivered("1001", "PARCEL-1001"), "1001", causedBy: null);
        await events.AppendAsync(delivered, cancellationToken).ConfigureAwait(false);
        narrator.Say("carrier", $"parcel PARCEL-1001 delivered -> appended {OrderDelivered.TypeName} 1001");

        var resumed = await ReadAsync("analytics", "resume", expected: 1, cancellationToken).ConfigureAwait(false);
        narrator.Say("analytics", $"started again: resumed after its checkpoint and read {(resumed.First is { } first ? $"{first.Type} {first.Key}" : "nothing")}");
        checks.Verify(resumed.First?.Id == delivered.Id, "reader group 'analytics' resumed after its checkpoint (the first event it read is the new one)",
            resumed.First is null ? "it read nothing" : $"it read {resumed.First.Type} {resumed.First.Key} first");
    }

    /// <summary>Reads the stream as a reader group until <paramref name="expected"/> events arrived, then stops the
    /// reader (which writes its checkpoint).</summary>
    private async Task<ReadResult> ReadAsync(string group, string pass, int expected, CancellationToken cancellationToken)
    {
        var counts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var read = milestones[$"read:{group}:{pass}"];
        Envelope? first = null;
        var reader = await transport.Stream.ReadAsync(
            names.OrderEventsStream,
            group,
            (message, _) =>
            {
                Interlocked.CompareExchange(ref first, message.Envelope, null);
                counts.AddOrUpdate(message.Envelope.Type, 1, static (_, n) => n + 1);
                milestones.Mark(read.Name);
                return ValueTask.CompletedTask;
            },
            new StreamReadOptions { StartPosition = StreamPosition.Beginning },
            cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await checks.WaitForAsync(read, $"reader group '{group}' read {expected} event(s) ({pass})", cancellationToken, times: expected).ConfigureAwait(false);
            await reader.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        return new ReadResult(read.Count, new SortedDictionary<string, int>(counts, StringComparer.Ordinal), first);
    }

    private static string Format(IReadOnlyDictionary<string, int> counts) => string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"));

    private sealed record ReadResult(int Read, SortedDictionary<string, int> CountsByType, Envelope? First);
}

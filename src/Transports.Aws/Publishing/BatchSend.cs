using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Envelopes;

namespace Messaging.Adapters.Aws.Publishing;

/// <summary>
/// Sends a batch in as few requests as SQS and SNS allow (10 entries and the request size limit each) and handles
/// per-entry failures: entries refused for a transient reason are sent again, alone, with jittered backoff; entries
/// refused for their own fault, or still failing, are reported together in one <see cref="BatchPublishException"/>.
/// Entries already taken are never sent again.
/// </summary>
internal static class BatchSend
{
    /// <summary>The most entries one request carries (SQS <c>SendMessageBatch</c>, SNS <c>PublishBatch</c>).</summary>
    public const int MaxEntries = 10;

    /// <summary>One entry the service did not take.</summary>
    public sealed record EntryFailure(int Index, string Code, string Message, bool SenderFault);

    /// <summary>Sends <paramref name="wires"/> through <paramref name="send"/>, which sends the given entries in one
    /// request and returns those the service did not take (by their index in <paramref name="wires"/>).</summary>
    public static async Task SendAsync(
        IReadOnlyList<Envelope> messages,
        IReadOnlyList<WireMessage> wires,
        int requestLimit,
        int maxRetries,
        string destination,
        Func<IReadOnlyList<int>, CancellationToken, Task<IReadOnlyList<EntryFailure>>> send,
        CancellationToken cancellationToken)
    {
        var failures = new SortedDictionary<int, EntryFailure>();
        Exception? requestFailure = null;
        foreach (var chunk in Chunk(wires, requestLimit))
        {
            if (requestFailure is not null)
            {
                foreach (var index in chunk)
                {
                    failures[index] = new EntryFailure(index, "NotSent", "an earlier request of the batch failed", false);
                }

                continue;
            }

            try
            {
                foreach (var failure in await send(chunk, cancellationToken).ConfigureAwait(false))
                {
                    failures[failure.Index] = failure;
                }
            }
            catch (AwsServiceException ex)
            {
                requestFailure = ex;
                foreach (var index in chunk)
                {
                    failures[index] = new EntryFailure(index, ex.ErrorCode, ex.Message, !ex.IsTransient);
                }
            }
        }

        var random = new Random();
        for (var retry = 1; retry <= maxRetries && failures.Values.Any(f => !f.SenderFault) && requestFailure is null; retry++)
        {
            await Task.Delay(RetryBackoff.Delay(retry, random), cancellationToken).ConfigureAwait(false);
            var again = failures.Values.Where(f => !f.SenderFault).Select(f => f.Index).ToList();
            try
            {
                var stillFailing = (await send(again, cancellationToken).ConfigureAwait(false)).ToDictionary(f => f.Index);
                foreach (var index in again)
                {
                    if (stillFailing.TryGetValue(index, out var failure))
                    {
                        failures[index] = failure;
                    }
                    else
                    {
                        failures.Remove(index);
                    }
                }
            }
            catch (AwsServiceException ex) when (ex.IsTransient)
            {
                // Try again on the next round, if any is left.
            }
        }

        if (failures.Count > 0)
        {
            var first = failures.Values.First();
            var inner = requestFailure ?? new AwsServiceException("batch", "send", destination, first.Code, 0, $"entry {first.Index} (message '{messages[first.Index].Id}') refused: {first.Message}", !first.SenderFault);
            throw new BatchPublishException(destination, [.. failures.Keys.Select(i => messages[i].Id)], inner);
        }
    }

    /// <summary>The batch cut into requests of at most 10 entries and <paramref name="requestLimit"/> bytes.</summary>
    private static IEnumerable<List<int>> Chunk(IReadOnlyList<WireMessage> wires, int requestLimit)
    {
        var chunk = new List<int>(MaxEntries);
        var bytes = 0;
        for (var i = 0; i < wires.Count; i++)
        {
            if (chunk.Count == MaxEntries || (chunk.Count > 0 && bytes + wires[i].Size > requestLimit))
            {
                yield return chunk;
                chunk = new List<int>(MaxEntries);
                bytes = 0;
            }

            chunk.Add(i);
            bytes += wires[i].Size;
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }
}

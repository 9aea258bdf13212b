using System.Diagnostics;

namespace Messaging.Adapters.Benchmarks;

/// <summary>
/// What creating the <see cref="Envelope"/> alone costs (new id, timestamp, object), measured on the producer
/// thread: the part of the adapter's cost that every transport pays before the transport does anything.
/// </summary>
internal static class EnvelopeCost
{
    public static (double NanosecondsPerEnvelope, double BytesPerEnvelope) Measure(int count, int payloadSize)
    {
        var body = Payload.Create(0, payloadSize);

        // Kept in a ring so the envelopes escape: otherwise the JIT may allocate them on the stack and hide their cost.
        var keep = new Envelope[1024];
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            // The same constructor the benchmark's producer calls; the body is shared so only the envelope counts.
            keep[i & (keep.Length - 1)] = new Envelope("bench.tick", body);
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        GC.KeepAlive(keep);
        return (elapsed.TotalNanoseconds / count, (double)allocated / count);
    }
}

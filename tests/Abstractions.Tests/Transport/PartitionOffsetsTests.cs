using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Tests.Transport;

public sealed class PartitionOffsetsTests
{
    [Fact]
    public void The_position_starts_where_reading_starts()
    {
        var offsets = new PartitionOffsets(42);

        Assert.Equal(42, offsets.Position);
        Assert.Equal(0, offsets.Outstanding);
    }

    [Fact]
    public void Finishing_in_order_moves_the_position_one_past_each_offset()
    {
        var offsets = new PartitionOffsets(0);
        offsets.Track(0);
        offsets.Track(1);

        Assert.Equal(1, offsets.Complete(0));
        Assert.Equal(2, offsets.Complete(1));
        Assert.Equal(0, offsets.Outstanding);
    }

    [Fact]
    public void A_later_offset_finishing_first_does_not_move_the_position_past_an_unfinished_one()
    {
        var offsets = new PartitionOffsets(10);
        for (var offset = 10; offset < 15; offset++)
        {
            offsets.Track(offset);
        }

        Assert.Null(offsets.Complete(12));
        Assert.Null(offsets.Complete(14));
        Assert.Null(offsets.Complete(11));
        Assert.Equal(10, offsets.Position);

        Assert.Equal(13, offsets.Complete(10));
        Assert.Equal(13, offsets.Position);
        Assert.Equal(15, offsets.Complete(13));
    }

    [Fact]
    public void Gaps_in_the_offsets_are_skipped_like_the_log_skips_them()
    {
        var offsets = new PartitionOffsets(0);
        offsets.Track(3);
        offsets.Track(7);

        Assert.Null(offsets.Complete(7));
        Assert.Equal(0, offsets.Position);
        Assert.Equal(8, offsets.Complete(3));
    }

    [Fact]
    public void Offsets_tracked_out_of_order_are_refused()
    {
        var offsets = new PartitionOffsets(5);
        offsets.Track(5);

        Assert.Throws<ArgumentOutOfRangeException>(() => offsets.Track(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => offsets.Track(4));
    }

    [Fact]
    public void Completing_an_offset_twice_or_one_never_tracked_is_a_bug_that_is_reported()
    {
        var offsets = new PartitionOffsets(0);
        offsets.Track(0);
        offsets.Track(1);

        Assert.Throws<InvalidOperationException>(() => offsets.Complete(2));
        Assert.Null(offsets.Complete(1));
        Assert.Throws<InvalidOperationException>(() => offsets.Complete(1));
        Assert.Equal(2, offsets.Complete(0));
        Assert.Throws<InvalidOperationException>(() => offsets.Complete(0));
    }

    [Fact]
    public async Task Concurrent_completions_in_any_order_end_one_past_the_last_offset()
    {
        const int Count = 20_000;
        var offsets = new PartitionOffsets(0);
        for (var offset = 0; offset < Count; offset++)
        {
            offsets.Track(offset);
        }

        var order = Enumerable.Range(0, Count).ToArray();
        Random.Shared.Shuffle(order);
        var advances = 0;
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = w; i < Count; i += 4)
            {
                if (offsets.Complete(order[i]) is not null)
                {
                    Interlocked.Increment(ref advances);
                }
            }
        }, TestContext.Current.CancellationToken)).ToArray();
        await Task.WhenAll(workers);

        Assert.Equal(Count, offsets.Position);
        Assert.Equal(0, offsets.Outstanding);
        Assert.InRange(advances, 1, Count);
    }

    [Fact]
    public void The_position_never_passes_an_unfinished_offset_whatever_the_order()
    {
        for (var run = 0; run < 200; run++)
        {
            var offsets = new PartitionOffsets(0);
            var order = Enumerable.Range(0, 50).ToArray();
            for (var offset = 0; offset < order.Length; offset++)
            {
                offsets.Track(offset);
            }

            Random.Shared.Shuffle(order);
            var finished = new HashSet<int>();
            long previous = 0;
            foreach (var offset in order)
            {
                finished.Add(offset);
                var position = offsets.Complete(offset) ?? offsets.Position;
                Assert.True(position >= previous, $"the position moved back from {previous} to {position}");
                Assert.All(Enumerable.Range(0, (int)position), o => Assert.Contains(o, finished));
                Assert.DoesNotContain((int)position, finished);
                previous = position;
            }
        }
    }
}

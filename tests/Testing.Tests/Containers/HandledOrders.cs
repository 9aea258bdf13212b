using System.Collections.Concurrent;

namespace Messaging.Adapters.Testing.Tests.Containers;

/// <summary>What the handler saw: message id -> order id, and every delivery counted so a duplicate shows.</summary>
public sealed class HandledOrders
{
    private readonly ConcurrentDictionary<string, string> orders = new();
    private int count;

    public int Count => Volatile.Read(ref count);

    public void Add(string messageId, string orderId)
    {
        orders[messageId] = orderId;
        Interlocked.Increment(ref count);
    }

    public IReadOnlyDictionary<string, string> Snapshot() => new Dictionary<string, string>(orders);

    public async Task WaitForAsync(int expected, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (orders.Count < expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"handled {orders.Count} of {expected} messages within {timeout}");
            await Task.Delay(50, cancellationToken);
        }
    }
}

using Messaging.Adapters.InMemory;

namespace Messaging.Adapters.Tests.Telemetry;

/// <summary>The library's metrics on the in-memory transport: names, units by value, and tags by the conventions.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class MetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sends_handling_retries_dead_letters_and_in_flight_are_measured_with_the_conventions_tags()
    {
        using var recorder = new TelemetryRecorder(spans: false, metrics: true);
        await using var transport = new InMemoryTransport();
        var queue = "metered-" + Guid.NewGuid().ToString("N");
        var deadLettered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = 0;
        await using var consumer = await transport.Queue.ConsumeAsync(queue, (m, _) =>
        {
            Interlocked.Increment(ref handled);
            return m.Envelope.Type == "fails" ? throw new TimeoutException("slow") : ValueTask.CompletedTask;
        }, new ConsumerOptions { Retry = new RetryPolicy { MaxAttempts = 3, ImmediateRetries = 2 } }, Ct);
        await using var deadLetters = await transport.Queue.ConsumeAsync(DestinationNames.DeadLetterQueue(queue), (_, _) =>
        {
            deadLettered.TrySetResult();
            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);

        await transport.Queue.SendBatchAsync(queue, [new Envelope("works", ReadOnlyMemory<byte>.Empty), new Envelope("fails", ReadOnlyMemory<byte>.Empty)], Ct);
        await deadLettered.Task.WaitAsync(Ct);
        await consumer.StopAsync(Ct);

        var sent = Assert.Single(recorder.Measurements("messaging.client.sent.messages", queue));
        Assert.Equal(2, sent.Value);
        AssertTags(sent.Tags, ("messaging.system", "inmemory"), ("messaging.operation.name", "send"));
        var sendDuration = Assert.Single(recorder.Measurements("messaging.client.operation.duration", queue));
        Assert.InRange(sendDuration.Value, 0, 10);
        AssertTags(sendDuration.Tags, ("messaging.operation.type", "send"));

        // One success, three failed attempts of the other message.
        var consumed = recorder.Measurements("messaging.client.consumed.messages", queue);
        Assert.Equal(4, consumed.Sum(m => m.Value));
        Assert.Equal(3, consumed.Count(m => Equals(m.Tags.GetValueOrDefault("error.type"), typeof(TimeoutException).FullName)));
        var processing = recorder.Measurements("messaging.process.duration", queue);
        Assert.Equal(4, processing.Count);
        Assert.All(processing, p => AssertTags(p.Tags, ("messaging.system", "inmemory"), ("messaging.operation.name", "process")));

        Assert.Equal(2, recorder.Measurements("messaging.adapters.consumer.retries", queue).Sum(m => m.Value));
        Assert.Equal(1, recorder.Measurements("messaging.adapters.consumer.dead_letters", queue).Sum(m => m.Value));
        var inFlight = recorder.Measurements("messaging.adapters.consumer.in_flight", queue);
        Assert.Equal(2, inFlight.Count(m => m.Value == 1));
        Assert.Equal(0, inFlight.Sum(m => m.Value));
        Assert.Equal(4, handled);
    }

    private static void AssertTags(Dictionary<string, object?> tags, params (string Name, object Value)[] expected)
    {
        foreach (var (name, value) in expected)
        {
            Assert.True(Equals(value, tags.GetValueOrDefault(name)), $"{name} is '{tags.GetValueOrDefault(name)}', expected '{value}'");
        }
    }
}

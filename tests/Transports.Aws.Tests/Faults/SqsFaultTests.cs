using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Adapters.Aws.Tests.Support;

namespace Messaging.Adapters.Aws.Tests.Faults;

/// <summary>
/// Faults between the transport and SQS, made by an interceptor in front of the real SQS client of the emulator: each
/// test counts lost, duplicated and unexpected messages by id (printed in the test output) and requires lost = 0.
/// </summary>
[Trait("Category", "Fault")]
public sealed class SqsFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_partial_batch_failure_resends_only_the_failed_entries()
    {
        var requests = new ConcurrentQueue<List<string>>();
        var failedOnce = new ConcurrentDictionary<string, byte>();
        await using var transport = EmulatorTransport.Create(intercept: (method, args, real) =>
        {
            if (method != nameof(IAmazonSQS.SendMessageBatchAsync))
            {
                return real();
            }

            var request = (SendMessageBatchRequest)args[0]!;
            requests.Enqueue([.. request.Entries.Select(e => e.MessageAttributes["ce-id"].StringValue)]);

            // Every third entry fails the first time it is sent, for a reason SQS calls transient.
            var failing = request.Entries.Where((e, i) => i % 3 == 1 && failedOnce.TryAdd(e.MessageAttributes["ce-id"].StringValue, 0)).ToList();
            request.Entries = [.. request.Entries.Except(failing)];
            return AddFailures((Task<SendMessageBatchResponse>)real()!, failing.Select(e => new BatchResultErrorEntry { Id = e.Id, Code = "InternalError", Message = "injected", SenderFault = false }));
        });
        var queue = EmulatorTransport.UniqueName("partial-batch");
        try
        {
            var messages = Enumerable.Range(0, 30).Select(i => new Envelope("fault.batch", "m"u8.ToArray()) { Id = $"{queue}-{i:D3}" }).ToList();
            var count = new DeliveryCount(messages.Select(m => m.Id));
            await using var consumer = await transport.Queue.ConsumeAsync(queue, (m, _) => { count.Record(m.Envelope.Id); return ValueTask.CompletedTask; }, null, Ct);

            foreach (var batch in messages.Chunk(10))
            {
                await transport.Queue.SendBatchAsync(queue, batch, Ct);
            }

            await count.SettleAsync(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), Ct);
            var (_, duplicates, _) = count.AssertNoneLost("partial batch failure");
            Assert.Equal(0, duplicates);

            // Three first requests of 10; then, per batch, one request with only its failed entries.
            var sent = requests.ToList();
            Assert.Equal(6, sent.Count);
            Assert.All(sent.Where(r => r.Count < 10), resent => Assert.All(resent, id => Assert.True(failedOnce.ContainsKey(id), $"{id} was taken, yet sent again")));
            Assert.Equal(failedOnce.Count, sent.Where(r => r.Count < 10).Sum(r => r.Count));
            TestContext.Current.TestOutputHelper?.WriteLine($"partial batch failure: {failedOnce.Count} entries failed once and were re-sent alone; {sent.Count} requests");
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task An_entry_refused_for_its_own_fault_is_reported_and_the_rest_is_delivered()
    {
        await using var transport = EmulatorTransport.Create(intercept: (method, args, real) =>
        {
            if (method != nameof(IAmazonSQS.SendMessageBatchAsync))
            {
                return real();
            }

            var request = (SendMessageBatchRequest)args[0]!;
            var refused = request.Entries.Where(e => e.MessageAttributes["ce-id"].StringValue.EndsWith("-004", StringComparison.Ordinal)).ToList();
            request.Entries = [.. request.Entries.Except(refused)];
            return AddFailures((Task<SendMessageBatchResponse>)real()!, refused.Select(e => new BatchResultErrorEntry { Id = e.Id, Code = "InvalidMessageContents", Message = "injected", SenderFault = true }));
        });
        var queue = EmulatorTransport.UniqueName("refused-entry");
        try
        {
            var messages = Enumerable.Range(0, 10).Select(i => new Envelope("fault.batch", "m"u8.ToArray()) { Id = $"{queue}-{i:D3}" }).ToList();
            var error = await Assert.ThrowsAsync<BatchPublishException>(() => transport.Queue.SendBatchAsync(queue, messages, Ct).AsTask());
            Assert.Equal([$"{queue}-004"], error.UnconfirmedIds);
            Assert.Equal(queue, error.Destination);
            Assert.Contains("InvalidMessageContents", error.InnerException!.Message, StringComparison.Ordinal);

            var count = new DeliveryCount(messages.Where(m => m.Id != $"{queue}-004").Select(m => m.Id));
            await using var consumer = await transport.Queue.ConsumeAsync(queue, (m, _) => { count.Record(m.Envelope.Id); return ValueTask.CompletedTask; }, null, Ct);
            await count.SettleAsync(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), Ct);
            var (_, duplicates, _) = count.AssertNoneLost("entry refused for its own fault");
            Assert.Equal(0, duplicates);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_partial_delete_failure_redelivers_those_messages_and_loses_none()
    {
        var failedDeletes = 0;
        var gate = new Lock();
        await using var transport = EmulatorTransport.Create(o => o.VisibilityTimeout = TimeSpan.FromSeconds(2), (method, args, real) =>
        {
            if (method != nameof(IAmazonSQS.DeleteMessageBatchAsync))
            {
                return real();
            }

            var request = (DeleteMessageBatchRequest)args[0]!;
            List<DeleteMessageBatchRequestEntry> failing;
            lock (gate)
            {
                // Exactly 5 deletes fail, however many delete requests run at once.
                failing = [.. request.Entries.Where((_, i) => i % 2 == 0).Take(5 - failedDeletes)];
                failedDeletes += failing.Count;
            }

            if (failing.Count == 0)
            {
                return real();
            }

            request.Entries = [.. request.Entries.Except(failing)];
            var response = request.Entries.Count == 0
                ? Task.FromResult(new DeleteMessageBatchResponse { Successful = [], Failed = [] })
                : (Task<DeleteMessageBatchResponse>)real()!;
            return AddDeleteFailures(response, failing.Select(e => new BatchResultErrorEntry { Id = e.Id, Code = "InternalError", Message = "injected", SenderFault = false }));
        });
        var queue = EmulatorTransport.UniqueName("partial-delete");
        try
        {
            var messages = Enumerable.Range(0, 20).Select(i => new Envelope("fault.delete", "m"u8.ToArray()) { Id = $"{queue}-{i:D3}" }).ToList();
            await transport.Queue.SendBatchAsync(queue, messages[..10], Ct);
            await transport.Queue.SendBatchAsync(queue, messages[10..], Ct);
            var count = new DeliveryCount(messages.Select(m => m.Id));
            await using var consumer = await transport.Queue.ConsumeAsync(queue, (m, _) => { count.Record(m.Envelope.Id); return ValueTask.CompletedTask; }, null, Ct);

            // The undeleted messages come back once their 2 s of visibility are over.
            await count.SettleAsync(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), Ct);
            var (_, duplicates, _) = count.AssertNoneLost("partial delete failure");
            Assert.Equal(5, Volatile.Read(ref failedDeletes));

            // Each undeleted message comes back once; at-least-once allows more (a 2 s visibility on a busy machine).
            Assert.True(duplicates >= 5, $"the 5 undeleted messages should each come back, but only {duplicates} duplicates were seen");
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_visibility_timeout_expiring_during_a_slow_handler_makes_a_counted_duplicate_not_a_loss()
    {
        // The lease heartbeat is lost (every visibility change dropped), as when a consumer is cut off from SQS.
        await using var transport = EmulatorTransport.Create(o => o.VisibilityTimeout = TimeSpan.FromSeconds(2), (method, args, real) =>
            method == nameof(IAmazonSQS.ChangeMessageVisibilityAsync)
                ? Task.FromResult(new ChangeMessageVisibilityResponse())
                : real());
        var queue = EmulatorTransport.UniqueName("slow-handler");
        try
        {
            var message = new Envelope("fault.slow", "m"u8.ToArray()) { Id = $"{queue}-slow" };
            var count = new DeliveryCount([message.Id]);
            var deliveries = 0;
            await using var consumer = await transport.Queue.ConsumeAsync(queue, async (m, ct) =>
            {
                count.Record(m.Envelope.Id);
                if (Interlocked.Increment(ref deliveries) == 1)
                {
                    // Outlasts the 2 s visibility: SQS hands the message out again meanwhile.
                    await Task.Delay(TimeSpan.FromSeconds(5), ct);
                }
            }, new ConsumerOptions { MaxInFlight = 2 }, Ct);
            await transport.Queue.SendAsync(queue, message, Ct);

            await count.SettleAsync(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(8), Ct);
            var (_, duplicates, _) = count.AssertNoneLost("visibility timeout expired during a slow handler");
            Assert.Equal(1, duplicates);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_slow_handler_keeps_its_message_invisible_through_the_heartbeat()
    {
        var renewals = 0;
        await using var transport = EmulatorTransport.Create(o => o.VisibilityTimeout = TimeSpan.FromSeconds(2), (method, args, real) =>
        {
            if (method == nameof(IAmazonSQS.ChangeMessageVisibilityAsync))
            {
                Interlocked.Increment(ref renewals);
            }

            return real();
        });
        var queue = EmulatorTransport.UniqueName("heartbeat");
        try
        {
            var message = new Envelope("fault.slow", "m"u8.ToArray()) { Id = $"{queue}-slow" };
            var count = new DeliveryCount([message.Id]);
            await using var consumer = await transport.Queue.ConsumeAsync(queue, async (m, ct) =>
            {
                count.Record(m.Envelope.Id);
                await Task.Delay(TimeSpan.FromSeconds(6), ct);
            }, new ConsumerOptions { MaxInFlight = 2 }, Ct);
            await transport.Queue.SendAsync(queue, message, Ct);

            await count.SettleAsync(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(8), Ct);
            var (_, duplicates, _) = count.AssertNoneLost("slow handler with heartbeat");
            Assert.Equal(0, duplicates);
            Assert.InRange(Volatile.Read(ref renewals), 6, 12);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Throttled_receives_are_waited_out_and_nothing_is_lost()
    {
        var throttled = 0;
        await using var transport = EmulatorTransport.Create(intercept: (method, args, real) =>
        {
            if (method == nameof(IAmazonSQS.ReceiveMessageAsync) && Interlocked.Increment(ref throttled) <= 4)
            {
                return Task.FromException<ReceiveMessageResponse>(new AmazonSQSException("Rate exceeded", ErrorType.Sender, "ThrottlingException", "r-1", HttpStatusCode.BadRequest));
            }

            return real();
        });
        var queue = EmulatorTransport.UniqueName("throttled");
        try
        {
            var messages = Enumerable.Range(0, 20).Select(i => new Envelope("fault.throttle", "m"u8.ToArray()) { Id = $"{queue}-{i:D3}" }).ToList();
            await transport.Queue.SendBatchAsync(queue, messages[..10], Ct);
            await transport.Queue.SendBatchAsync(queue, messages[10..], Ct);
            var count = new DeliveryCount(messages.Select(m => m.Id));
            await using var consumer = await transport.Queue.ConsumeAsync(queue, (m, _) => { count.Record(m.Envelope.Id); return ValueTask.CompletedTask; }, null, Ct);

            await count.SettleAsync(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), Ct);
            var (_, duplicates, _) = count.AssertNoneLost("throttled receives");
            Assert.Equal(0, duplicates);
            Assert.False(consumer.Completion.IsCompleted, "the consumer should keep running through throttling");
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    private static async Task<SendMessageBatchResponse> AddFailures(Task<SendMessageBatchResponse> response, IEnumerable<BatchResultErrorEntry> failures)
    {
        var result = await response;
        result.Failed = [.. result.Failed ?? [], .. failures];
        return result;
    }

    private static async Task<DeleteMessageBatchResponse> AddDeleteFailures(Task<DeleteMessageBatchResponse> response, IEnumerable<BatchResultErrorEntry> failures)
    {
        var result = await response;
        result.Failed = [.. result.Failed ?? [], .. failures];
        return result;
    }
}

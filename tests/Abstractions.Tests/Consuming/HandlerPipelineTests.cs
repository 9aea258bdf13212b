using System.Globalization;
using System.Text;
using Messaging.Adapters.Tests.TestDoubles;

namespace Messaging.Adapters.Tests.Consuming;

public sealed class HandlerPipelineTests
{
    private const string Source = "orders";
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset ClockStart = new(2031, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    private static readonly RetryPolicy FiveAttemptsTwoImmediate = new()
    {
        MaxAttempts = 5,
        ImmediateRetries = 2,
        InitialDelay = TimeSpan.FromSeconds(1),
        BackoffMultiplier = 2,
        MaxDelay = TimeSpan.FromMinutes(1),
    };

    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_handler_that_returns_acknowledges_the_delivery()
    {
        var calls = new List<ReceivedMessage>();
        var pipeline = new HandlerPipeline((m, _) => { calls.Add(m); return ValueTask.CompletedTask; }, FiveAttemptsTwoImmediate);
        var delivery = Delivery();

        var result = await pipeline.HandleAsync(delivery, TestToken);

        Assert.Equal(HandlingOutcome.Acknowledge, result.Outcome);
        Assert.Equal(1, result.Attempts);
        Assert.Null(result.Message);
        Assert.Same(delivery, Assert.Single(calls));
    }

    [Fact]
    public async Task Immediate_retries_run_inline_with_increasing_attempt_numbers()
    {
        var attempts = new List<int>();
        var pipeline = new HandlerPipeline(
            (m, _) =>
            {
                attempts.Add(m.Attempt);
                return m.Attempt < 3 ? throw new InvalidOperationException("not yet") : ValueTask.CompletedTask;
            },
            FiveAttemptsTwoImmediate);
        var delivery = Delivery();

        var result = await pipeline.HandleAsync(delivery, TestToken);

        Assert.Equal([1, 2, 3], attempts);
        Assert.Equal(HandlingOutcome.Acknowledge, result.Outcome);
        Assert.Equal(3, result.Attempts);
    }

    [Fact]
    public async Task Immediate_retries_see_the_same_envelope_and_delivery_facts()
    {
        var seen = new List<ReceivedMessage>();
        var pipeline = new HandlerPipeline((m, _) => { seen.Add(m); throw new InvalidOperationException("boom"); }, FiveAttemptsTwoImmediate);
        var delivery = new ReceivedMessage(Envelope(), "orders.billing", 1, redelivered: true) { Topic = "orders", Subscription = "billing" };

        await pipeline.HandleAsync(delivery, TestToken);

        Assert.Equal(3, seen.Count);
        Assert.All(seen, m =>
        {
            Assert.Same(delivery.Envelope, m.Envelope);
            Assert.Equal("orders.billing", m.Source);
            Assert.True(m.Redelivered);
            Assert.Equal("orders", m.Topic);
            Assert.Equal("billing", m.Subscription);
        });
    }

    [Fact]
    public async Task After_the_immediate_retries_the_message_goes_back_to_the_broker_with_its_attempt_count()
    {
        var attempts = new List<int>();
        var pipeline = new HandlerPipeline((m, _) => { attempts.Add(m.Attempt); throw new InvalidOperationException("boom"); }, FiveAttemptsTwoImmediate);
        var original = Envelope();

        var result = await pipeline.HandleAsync(new ReceivedMessage(original, Source), TestToken);

        Assert.Equal([1, 2, 3], attempts);
        Assert.Equal(HandlingOutcome.RetryLater, result.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(1), result.RetryDelay);
        Assert.Equal(3, result.Attempts);
        var retry = Assert.IsType<Envelope>(result.Message);
        Assert.Equal("3", retry.Headers[EnvelopeHeaders.Attempt]);
        Assert.Equal(original.Id, retry.Id);
        Assert.Equal(original.Type, retry.Type);
        Assert.Equal("acme", retry.Headers["tenant"]);
        Assert.True(retry.Body.Span.SequenceEqual(original.Body.Span));
        Assert.False(original.Headers.ContainsKey(EnvelopeHeaders.Attempt));
    }

    [Fact]
    public async Task A_message_redelivered_by_the_broker_uses_every_attempt_then_is_dead_lettered()
    {
        var attempts = new List<int>();
        var pipeline = new HandlerPipeline((m, _) => { attempts.Add(m.Attempt); throw new InvalidOperationException("boom"); }, FiveAttemptsTwoImmediate);
        var delays = new List<TimeSpan>();

        // Play the broker: hold each RetryLater message and deliver it again as the next attempt.
        var result = await pipeline.HandleAsync(Delivery(), TestToken);
        while (result.Outcome == HandlingOutcome.RetryLater)
        {
            delays.Add(result.RetryDelay);
            var redelivered = result.Message!;
            result = await pipeline.HandleAsync(new ReceivedMessage(redelivered, Source, DeliveryAttempts.NextAttempt(redelivered)), TestToken);
        }

        Assert.Equal([1, 2, 3, 4, 5], attempts);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], delays);
        Assert.Equal(HandlingOutcome.DeadLetter, result.Outcome);
        Assert.Equal(5, result.Attempts);
        Assert.Equal("5", result.Message!.Headers[EnvelopeHeaders.DeadLetterAttempts]);
    }

    [Fact]
    public async Task Failing_the_last_attempt_dead_letters_with_the_reason_headers_and_the_original_message()
    {
        var original = Envelope().WithHeader(EnvelopeHeaders.Attempt, "4");
        var pipeline = new HandlerPipeline((_, _) => throw new InvalidOperationException("card declined"), FiveAttemptsTwoImmediate);
        var before = DateTimeOffset.UtcNow;

        var result = await pipeline.HandleAsync(new ReceivedMessage(original, Source, attempt: 5), TestToken);

        var after = DateTimeOffset.UtcNow;
        Assert.Equal(HandlingOutcome.DeadLetter, result.Outcome);
        Assert.Equal(5, result.Attempts);
        var dead = Assert.IsType<Envelope>(result.Message);
        var reason = dead.Headers[EnvelopeHeaders.DeadLetterReason];
        Assert.Contains("5 attempt(s)", reason, StringComparison.Ordinal);
        Assert.Contains("InvalidOperationException", reason, StringComparison.Ordinal);
        Assert.Contains("card declined", reason, StringComparison.Ordinal);
        Assert.Equal("5", dead.Headers[EnvelopeHeaders.DeadLetterAttempts]);
        Assert.Equal(Source, dead.Headers[EnvelopeHeaders.DeadLetterSource]);
        Assert.Equal(typeof(InvalidOperationException).FullName, dead.Headers[EnvelopeHeaders.DeadLetterExceptionType]);
        Assert.Equal("card declined", dead.Headers[EnvelopeHeaders.DeadLetterExceptionMessage]);
        var time = DateTimeOffset.ParseExact(dead.Headers[EnvelopeHeaders.DeadLetterTime], "O", CultureInfo.InvariantCulture);
        Assert.InRange(time, before, after);

        // A re-sent dead letter starts afresh, so the attempt counter is gone; everything else is the original.
        Assert.False(dead.Headers.ContainsKey(EnvelopeHeaders.Attempt));
        Assert.Equal("acme", dead.Headers["tenant"]);
        Assert.Equal("Zoë ✓", dead.Headers["note"]);
        Assert.Equal(original.Id, dead.Id);
        Assert.Equal(original.Type, dead.Type);
        Assert.Equal(original.Key, dead.Key);
        Assert.Equal(original.CorrelationId, dead.CorrelationId);
        Assert.Equal(original.Timestamp, dead.Timestamp);
        Assert.True(dead.Body.Span.SequenceEqual(original.Body.Span));
    }

    [Fact]
    public async Task The_dead_letter_time_comes_from_the_pipelines_clock()
    {
        var clock = new ManualTimeProvider(ClockStart);
        var pipeline = new HandlerPipeline((_, _) => throw new InvalidOperationException("boom"), RetryPolicy.None, timeProvider: clock);

        var result = await pipeline.HandleAsync(Delivery(), TestToken);

        Assert.Equal(HandlingOutcome.DeadLetter, result.Outcome);
        Assert.Equal(ClockStart.ToString("O", CultureInfo.InvariantCulture), result.Message!.Headers[EnvelopeHeaders.DeadLetterTime]);
    }

    [Fact]
    public void ToDeadLetter_stamps_the_time_of_the_clock_it_is_given()
    {
        var clock = new ManualTimeProvider(ClockStart);

        var dead = HandlerPipeline.ToDeadLetter(Delivery(), new InvalidOperationException("boom"), clock);

        Assert.Equal(ClockStart.ToString("O", CultureInfo.InvariantCulture), dead.Headers[EnvelopeHeaders.DeadLetterTime]);
    }

    [Fact]
    public async Task DeadLetterException_dead_letters_at_once_with_its_own_reason()
    {
        var calls = 0;
        var pipeline = new HandlerPipeline((_, _) => { calls++; throw new DeadLetterException("customer account is closed"); }, FiveAttemptsTwoImmediate);

        var result = await pipeline.HandleAsync(Delivery(), TestToken);

        Assert.Equal(1, calls);
        Assert.Equal(HandlingOutcome.DeadLetter, result.Outcome);
        Assert.Equal(1, result.Attempts);
        var dead = result.Message!;
        Assert.Equal("customer account is closed", dead.Headers[EnvelopeHeaders.DeadLetterReason]);
        Assert.Equal("1", dead.Headers[EnvelopeHeaders.DeadLetterAttempts]);
        Assert.False(dead.Headers.ContainsKey(EnvelopeHeaders.DeadLetterExceptionType));
        Assert.False(dead.Headers.ContainsKey(EnvelopeHeaders.DeadLetterExceptionMessage));
    }

    [Fact]
    public async Task DeadLetterException_with_a_cause_records_the_cause_as_the_exception()
    {
        var pipeline = new HandlerPipeline(
            (_, _) => throw new DeadLetterException("bad address", new FormatException("postcode 'XX' is not valid")),
            FiveAttemptsTwoImmediate);

        var result = await pipeline.HandleAsync(Delivery(), TestToken);

        var dead = result.Message!;
        Assert.Equal("bad address", dead.Headers[EnvelopeHeaders.DeadLetterReason]);
        Assert.Equal(typeof(FormatException).FullName, dead.Headers[EnvelopeHeaders.DeadLetterExceptionType]);
        Assert.Equal("postcode 'XX' is not valid", dead.Headers[EnvelopeHeaders.DeadLetterExceptionMessage]);
    }

    [Fact]
    public async Task A_poison_message_is_dead_lettered_at_once_as_poison()
    {
        var calls = 0;
        var pipeline = new HandlerPipeline(
            (m, _) => { calls++; throw new MessageDeserializationException(m.Envelope.Id, m.Envelope.Type, "not JSON"); },
            FiveAttemptsTwoImmediate);

        var result = await pipeline.HandleAsync(Delivery(), TestToken);

        Assert.Equal(1, calls);
        Assert.Equal(HandlingOutcome.DeadLetter, result.Outcome);
        Assert.StartsWith("Poison message: ", result.Message!.Headers[EnvelopeHeaders.DeadLetterReason], StringComparison.Ordinal);
        Assert.Contains("not JSON", result.Message.Headers[EnvelopeHeaders.DeadLetterReason], StringComparison.Ordinal);
        Assert.Equal(typeof(MessageDeserializationException).FullName, result.Message.Headers[EnvelopeHeaders.DeadLetterExceptionType]);
    }

    [Fact]
    public async Task An_exception_ShouldRetry_rejects_is_dead_lettered_at_once()
    {
        var calls = 0;
        Exception? judged = null;
        var thrown = new UnauthorizedAccessException("forbidden");
        var policy = FiveAttemptsTwoImmediate with { ShouldRetry = ex => { judged = ex; return ex is not UnauthorizedAccessException; } };
        var pipeline = new HandlerPipeline((_, _) => { calls++; throw thrown; }, policy);

        var result = await pipeline.HandleAsync(Delivery(), TestToken);

        Assert.Equal(1, calls);
        Assert.Same(thrown, judged);
        Assert.Equal(HandlingOutcome.DeadLetter, result.Outcome);
        Assert.Equal(1, result.Attempts);
    }

    [Fact]
    public async Task An_exception_ShouldRetry_accepts_is_retried()
    {
        var policy = FiveAttemptsTwoImmediate with { ShouldRetry = ex => ex is TimeoutException };
        var calls = 0;
        var pipeline = new HandlerPipeline((_, _) => { calls++; throw new TimeoutException(); }, policy);

        var result = await pipeline.HandleAsync(Delivery(), TestToken);

        Assert.Equal(3, calls);
        Assert.Equal(HandlingOutcome.RetryLater, result.Outcome);
    }

    [Fact]
    public async Task ShouldRetry_cannot_make_a_DeadLetterException_retry()
    {
        var calls = 0;
        var pipeline = new HandlerPipeline((_, _) => { calls++; throw new DeadLetterException("no"); }, FiveAttemptsTwoImmediate with { ShouldRetry = _ => true });

        var result = await pipeline.HandleAsync(Delivery(), TestToken);

        Assert.Equal(1, calls);
        Assert.Equal(HandlingOutcome.DeadLetter, result.Outcome);
    }

    [Fact]
    public async Task A_delivery_already_past_MaxAttempts_is_dead_lettered_on_its_first_failure()
    {
        var calls = 0;
        var pipeline = new HandlerPipeline((_, _) => { calls++; throw new InvalidOperationException(); }, FiveAttemptsTwoImmediate);

        var result = await pipeline.HandleAsync(Delivery(attempt: 9), TestToken);

        Assert.Equal(1, calls);
        Assert.Equal(HandlingOutcome.DeadLetter, result.Outcome);
        Assert.Equal(9, result.Attempts);
    }

    [Fact]
    public async Task A_handler_that_gives_up_because_the_consumer_stops_releases_the_message()
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(TestToken);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var pipeline = new HandlerPipeline(
            async (_, ct) =>
            {
                calls++;
                started.TrySetResult();
                await new TaskCompletionSource().Task.WaitAsync(ct);
            },
            FiveAttemptsTwoImmediate);

        var handling = pipeline.HandleAsync(Delivery(), stopping.Token).AsTask();
        await started.Task.WaitAsync(WaitLimit, TestToken);
        await stopping.CancelAsync();
        var result = await handling.WaitAsync(WaitLimit, TestToken);

        Assert.Equal(HandlingOutcome.Release, result.Outcome);
        Assert.Null(result.Message);
        Assert.Equal(0, result.Attempts);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task An_OperationCanceledException_while_not_stopping_is_an_ordinary_failure()
    {
        var calls = 0;
        var pipeline = new HandlerPipeline((_, _) => { calls++; throw new OperationCanceledException("HTTP call timed out"); }, FiveAttemptsTwoImmediate);

        var result = await pipeline.HandleAsync(Delivery(), TestToken);

        Assert.Equal(3, calls);
        Assert.Equal(HandlingOutcome.RetryLater, result.Outcome);
    }

    [Fact]
    public async Task Held_delayed_retries_wait_in_process_for_the_backoff_then_retry()
    {
        var clock = new ManualTimeProvider(ClockStart);
        var attempts = new List<int>();
        var policy = new RetryPolicy { MaxAttempts = 4, ImmediateRetries = 0, InitialDelay = TimeSpan.FromSeconds(5), BackoffMultiplier = 2 };
        var pipeline = new HandlerPipeline(
            (m, _) =>
            {
                lock (attempts)
                {
                    attempts.Add(m.Attempt);
                }

                return m.Attempt < 3 ? throw new InvalidOperationException("not yet") : ValueTask.CompletedTask;
            },
            policy,
            holdDelayedRetries: true,
            timeProvider: clock);

        var handling = pipeline.HandleAsync(Delivery(), TestToken).AsTask();

        // Attempt 1 failed: the pipeline waits 5 s on its clock instead of handing the message back.
        Assert.Equal(TimeSpan.FromSeconds(5), await clock.ScheduledTimers.ReadAsync(TestToken).AsTask().WaitAsync(WaitLimit, TestToken));
        clock.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        Assert.False(handling.IsCompleted);
        Assert.Equal([1], Snapshot(attempts));

        clock.Advance(TimeSpan.FromMilliseconds(1));

        // Attempt 2 ran and failed: the next wait is the doubled backoff.
        Assert.Equal(TimeSpan.FromSeconds(10), await clock.ScheduledTimers.ReadAsync(TestToken).AsTask().WaitAsync(WaitLimit, TestToken));
        Assert.Equal([1, 2], Snapshot(attempts));
        clock.Advance(TimeSpan.FromSeconds(10));

        var result = await handling.WaitAsync(WaitLimit, TestToken);
        Assert.Equal(HandlingOutcome.Acknowledge, result.Outcome);
        Assert.Equal(3, result.Attempts);
        Assert.Equal([1, 2, 3], Snapshot(attempts));
    }

    [Fact]
    public async Task Held_delayed_retries_end_in_the_dead_letter_queue_never_in_RetryLater()
    {
        var attempts = new List<int>();
        var policy = new RetryPolicy { MaxAttempts = 4, ImmediateRetries = 1, InitialDelay = TimeSpan.FromMilliseconds(20), BackoffMultiplier = 1 };
        var pipeline = new HandlerPipeline(
            (m, _) =>
            {
                lock (attempts)
                {
                    attempts.Add(m.Attempt);
                }

                throw new InvalidOperationException("always");
            },
            policy,
            holdDelayedRetries: true);

        var result = await pipeline.HandleAsync(Delivery(), TestToken).AsTask().WaitAsync(WaitLimit, TestToken);

        Assert.Equal([1, 2, 3, 4], Snapshot(attempts));
        Assert.Equal(HandlingOutcome.DeadLetter, result.Outcome);
        Assert.Equal(4, result.Attempts);
        Assert.Equal("4", result.Message!.Headers[EnvelopeHeaders.DeadLetterAttempts]);
    }

    [Fact]
    public async Task Stopping_while_a_held_retry_waits_releases_the_message_with_the_attempts_made()
    {
        var clock = new ManualTimeProvider(ClockStart);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(TestToken);
        var calls = 0;
        var policy = new RetryPolicy { MaxAttempts = 5, ImmediateRetries = 1, InitialDelay = TimeSpan.FromMinutes(1) };
        var pipeline = new HandlerPipeline((_, _) => { Interlocked.Increment(ref calls); throw new InvalidOperationException(); }, policy, holdDelayedRetries: true, timeProvider: clock);

        var handling = pipeline.HandleAsync(Delivery(), stopping.Token).AsTask();
        await clock.ScheduledTimers.ReadAsync(TestToken).AsTask().WaitAsync(WaitLimit, TestToken);
        await stopping.CancelAsync();
        var result = await handling.WaitAsync(WaitLimit, TestToken);

        Assert.Equal(HandlingOutcome.Release, result.Outcome);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(2, Volatile.Read(ref calls));
    }

    [Fact]
    public void The_constructor_rejects_an_invalid_policy()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new HandlerPipeline((_, _) => ValueTask.CompletedTask, new RetryPolicy { ImmediateRetries = -1 }));

        Assert.Contains("ImmediateRetries", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Long_exception_messages_are_cut_to_a_thousand_characters_in_the_headers()
    {
        var longMessage = new string('x', 5000);
        var pipeline = new HandlerPipeline((_, _) => throw new InvalidOperationException(longMessage), RetryPolicy.None);

        var result = await pipeline.HandleAsync(Delivery(), TestToken);

        var headers = result.Message!.Headers;
        Assert.Equal(1000, headers[EnvelopeHeaders.DeadLetterExceptionMessage].Length);
        Assert.EndsWith("…", headers[EnvelopeHeaders.DeadLetterExceptionMessage], StringComparison.Ordinal);
        Assert.Equal(1000, headers[EnvelopeHeaders.DeadLetterReason].Length);
    }

    private static int[] Snapshot(List<int> attempts)
    {
        lock (attempts)
        {
            return [.. attempts];
        }
    }

    private static Envelope Envelope() =>
        new Envelope("order.placed", Encoding.UTF8.GetBytes("{\"orderId\":\"o-1\"}"))
        {
            Key = "customer-7",
            CorrelationId = "c-1",
            ContentType = "application/json",
        }.WithHeaders([new("tenant", "acme"), new("note", "Zoë ✓")]);

    private static ReceivedMessage Delivery(int attempt = 1) => new(Envelope(), Source, attempt);
}

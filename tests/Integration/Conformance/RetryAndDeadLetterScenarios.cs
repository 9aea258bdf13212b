using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Handler failures: immediate then delayed retries up to the policy's maximum, then the dead-letter queue with the
/// reason headers; explicit dead-lettering and poison messages without retries; re-sending dead letters.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class RetryAndDeadLetterScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    private const string OrderType = "conformance.order-placed";

    [Fact]
    public async Task A_failing_queue_message_is_retried_up_to_the_maximum_then_dead_lettered()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("failing");
        var policy = Fixture.FastRetry;
        var attempts = new AttemptLog();
        var messages = Fixture.NewMessages(3);
        await scope.ConsumeAsync(queue, attempts.FailingHandler, new ConsumerOptions { MaxInFlight = 4, Retry = policy });
        var deadLetters = await ConsumeDeadLettersAsync(scope, queue);

        await SendAllAsync(queue, messages);

        await deadLetters.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        attempts.AssertEachTriedExactly(messages, policy);
        AssertDeadLettersCarryTheFailure(deadLetters, messages, source: queue, policy.MaxAttempts, typeof(InvalidOperationException), attempts.LastFailureMessage);
    }

    [Fact]
    public async Task A_failing_subscription_message_is_retried_then_dead_lettered_from_the_subscription_queue()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("failing");
        var subscription = scope.NewSubscription(topic, "failing");
        var subscriptionQueue = DestinationNames.SubscriptionQueue(topic, subscription);
        var policy = Fixture.FastRetry;
        var attempts = new AttemptLog();
        var messages = Fixture.NewMessages(3);
        await scope.SubscribeAsync(topic, subscription, attempts.FailingHandler, new SubscriptionOptions { Retry = policy });
        var deadLetters = await ConsumeDeadLettersAsync(scope, subscriptionQueue);

        await PublishAllAsync(topic, messages);

        await deadLetters.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        attempts.AssertEachTriedExactly(messages, policy);
        AssertDeadLettersCarryTheFailure(deadLetters, messages, source: subscriptionQueue, policy.MaxAttempts, typeof(InvalidOperationException), attempts.LastFailureMessage);
    }

    [Fact]
    public async Task Without_delayed_delivery_a_delayed_retry_waits_in_the_consumer_then_dead_letters_after_the_maximum()
    {
        Capability.RequireMissing(Fixture, nameof(TransportCapabilities.DelayedDelivery));
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("held-retry");
        var policy = Fixture.FastRetry;
        Assert.True(policy.DelayBefore(policy.MaxAttempts) > TimeSpan.Zero, "FastRetry must have delayed retries for this scenario.");
        // One key: a partitioned queue (Kafka) keeps send order only within a key, and the order is what this asserts.
        var failing = Fixture.NewMessage() with { Key = "held-retry" };
        var next = Fixture.NewMessage() with { Key = "held-retry" };
        var order = new ConcurrentQueue<string>();
        var handled = NewLog("the message after the failing one");
        var attempts = new AttemptLog();
        await scope.ConsumeAsync(
            queue,
            (message, cancellationToken) =>
            {
                order.Enqueue($"{message.Envelope.Id}#{message.Attempt}");
                if (message.Envelope.Id == failing.Id)
                {
                    return attempts.FailingHandler(message, cancellationToken);
                }

                handled.Record(message);
                return ValueTask.CompletedTask;
            },
            new ConsumerOptions { MaxInFlight = 1, Retry = policy });
        var deadLetters = await ConsumeDeadLettersAsync(scope, queue);

        await Transport.Queue.SendAsync(queue, failing, Ct);
        await Transport.Queue.SendAsync(queue, next, Ct);

        await Task.WhenAll(
            deadLetters.AssertReceivesExactlyAsync([failing.Id], Fixture),
            handled.AssertReceivesExactlyAsync([next.Id], Fixture));
        attempts.AssertEachTriedExactly([failing], policy);
        AssertDeadLettersCarryTheFailure(deadLetters, [failing], source: queue, policy.MaxAttempts, typeof(InvalidOperationException), attempts.LastFailureMessage);

        // Held in process, the retries keep the consumer's only in-flight slot: every attempt of the failing message
        // runs before the next message. (A broker holding them would have let the next message through meanwhile.)
        List<string> expected = [.. Enumerable.Range(1, policy.MaxAttempts).Select(a => $"{failing.Id}#{a}"), $"{next.Id}#1"];
        Assert.Equal(expected, order.ToList());
    }

    [Fact]
    public async Task A_message_that_succeeds_on_a_retry_is_handled_once_and_not_dead_lettered()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("flaky");
        var policy = Fixture.FastRetry;
        var attempts = new AttemptLog();
        var handled = NewLog("successful handling");
        var messages = Fixture.NewMessages(10);
        await scope.ConsumeAsync(
            queue,
            (message, _) =>
            {
                attempts.Record(message);
                if (message.Attempt < policy.MaxAttempts)
                {
                    throw new InvalidOperationException($"conformance: fails until the last attempt ({message.Attempt})");
                }

                handled.Record(message);
                return ValueTask.CompletedTask;
            },
            new ConsumerOptions { Retry = policy });
        var deadLetters = await ConsumeDeadLettersAsync(scope, queue);

        await SendAllAsync(queue, messages);

        await handled.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        attempts.AssertEachTriedExactly(messages, policy);
        deadLetters.AssertExactlyOnce([]);
    }

    [Fact]
    public async Task DeadLetterException_dead_letters_at_once_with_its_reason()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("explicit");
        var attempts = new AttemptLog();
        var messages = Fixture.NewMessages(4);
        var withCause = messages.Where((_, i) => i % 2 == 1).Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        await scope.ConsumeAsync(
            queue,
            (message, _) =>
            {
                attempts.Record(message);
                throw withCause.Contains(message.Envelope.Id)
                    ? new DeadLetterException($"conformance: {message.Envelope.Id} cannot be handled", new FormatException("conformance: bad amount"))
                    : new DeadLetterException($"conformance: {message.Envelope.Id} cannot be handled");
            },
            new ConsumerOptions { Retry = Fixture.FastRetry });
        var deadLetters = await ConsumeDeadLettersAsync(scope, queue);

        await SendAllAsync(queue, messages);

        await deadLetters.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        attempts.AssertEachTriedExactly(messages, RetryPolicy.None);
        foreach (var letter in deadLetters.Deliveries)
        {
            var headers = letter.Envelope.Headers;
            var id = letter.Envelope.Id;
            Assert.Equal($"conformance: {id} cannot be handled", headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterReason));
            Assert.Equal("1", headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterAttempts));
            Assert.Equal(queue, headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterSource));
            if (withCause.Contains(id))
            {
                Assert.Equal(typeof(FormatException).FullName, headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterExceptionType));
            }
        }
    }

    [Fact]
    public async Task A_poison_message_is_dead_lettered_without_retries_and_the_next_message_is_handled()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("poison");
        var codec = new MessageCodec();
        codec.Types.Map<ConformanceOrder>(OrderType);
        var attempts = new AttemptLog();
        var handled = NewLog("decoded orders");
        var poison = Fixture.NewMessage(OrderType) with { Body = Encoding.UTF8.GetBytes("{\"orderId\": not json"), ContentType = "application/json" };
        var wrongType = Fixture.NewMessage("conformance.something-else") with { ContentType = "application/json" };
        var valid = codec.Encode(new ConformanceOrder("order-1", 12.5m)) with { Id = Fixture.NewMessage().Id, Headers = poison.Headers };
        var decode = codec.Handler<ConformanceOrder>((order, message, _) =>
        {
            Assert.Equal(new ConformanceOrder("order-1", 12.5m), order);
            handled.Record(message);
            return ValueTask.CompletedTask;
        });
        await scope.ConsumeAsync(
            queue,
            (message, cancellationToken) =>
            {
                attempts.Record(message);
                return decode(message, cancellationToken);
            },
            new ConsumerOptions { MaxInFlight = 1, Retry = Fixture.FastRetry });
        var deadLetters = await ConsumeDeadLettersAsync(scope, queue);

        await SendAllAsync(queue, [poison, wrongType, valid]);

        await Task.WhenAll(
            handled.AssertReceivesExactlyAsync([valid.Id], Fixture),
            deadLetters.AssertReceivesExactlyAsync([poison.Id, wrongType.Id], Fixture));
        attempts.AssertEachTriedExactly([poison, wrongType], RetryPolicy.None);
        foreach (var letter in deadLetters.Deliveries)
        {
            var headers = letter.Envelope.Headers;
            Assert.StartsWith("Poison message:", headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterReason) ?? "", StringComparison.Ordinal);
            Assert.Equal(typeof(MessageDeserializationException).FullName, headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterExceptionType));
            Assert.Equal("1", headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterAttempts));
        }

        var poisonLetter = Assert.Single(deadLetters.Deliveries, d => d.Envelope.Id == poison.Id);
        Assert.True(poisonLetter.Envelope.Body.Span.SequenceEqual(poison.Body.Span), "The poison message's body must reach the dead-letter queue unchanged.");
    }

    [Fact]
    public async Task Dead_letters_re_sent_with_DeadLetterRedrive_are_handled_at_their_source()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("redrive");
        var deadLetterQueue = DestinationNames.DeadLetterQueue(queue);
        scope.Track(Destination.Queue(deadLetterQueue));
        var failures = NewLog("failed attempts");
        var handled = NewLog("handled after the fix");
        var handler = new FailsUntilFixed(failures, handled);
        var messages = Fixture.NewMessages(5, (i, m) => m.WithHeader("conformance.original", $"value {i}"));
        await scope.ConsumeAsync(queue, handler.Handler, new ConsumerOptions { Retry = RetryPolicy.None });

        await SendAllAsync(queue, messages);
        await failures.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        handler.Fix();
        scope.Own(await DeadLetterRedrive.StartAsync(Transport.Queue, deadLetterQueue, Ct));

        await handled.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        AssertRedrivenAsOriginals(handled, messages, queue);
    }

    [Fact]
    public async Task Re_sent_subscription_dead_letters_reach_only_that_subscription()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("redrive");
        var failing = scope.NewSubscription(topic, "failing");
        var healthy = scope.NewSubscription(topic, "healthy");
        var failingQueue = DestinationNames.SubscriptionQueue(topic, failing);
        var deadLetterQueue = DestinationNames.DeadLetterQueue(failingQueue);
        scope.Track(Destination.Queue(deadLetterQueue));
        var failures = NewLog($"failed attempts in {failing}");
        var handled = NewLog($"{failing} after the fix");
        var handler = new FailsUntilFixed(failures, handled);
        var healthyLog = NewLog($"subscription {healthy}");
        await scope.SubscribeAsync(topic, failing, handler.Handler, new SubscriptionOptions { Retry = RetryPolicy.None });
        await scope.SubscribeAsync(topic, healthy, healthyLog.Handler);
        var messages = Fixture.NewMessages(5);

        await PublishAllAsync(topic, messages);
        await failures.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        handler.Fix();
        scope.Own(await DeadLetterRedrive.StartAsync(Transport.Queue, deadLetterQueue, Ct));

        await handled.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        healthyLog.AssertExactlyOnce(IdsOf(messages));
        AssertRedrivenAsOriginals(handled, messages, failingQueue);
    }

    private async Task<DeliveryLog> ConsumeDeadLettersAsync(ScenarioScope scope, string source)
    {
        var deadLetterQueue = DestinationNames.DeadLetterQueue(source);
        scope.Track(Destination.Queue(deadLetterQueue));
        var log = NewLog($"dead-letter queue {deadLetterQueue}");
        await scope.ConsumeAsync(deadLetterQueue, log.Handler);
        return log;
    }

    private static void AssertDeadLettersCarryTheFailure(DeliveryLog deadLetters, IReadOnlyList<Envelope> originals, string source, int attempts, Type exceptionType, Func<string, string> failureMessage)
    {
        foreach (var original in originals)
        {
            var letter = Assert.Single(deadLetters.Deliveries, d => d.Envelope.Id == original.Id).Envelope;
            var headers = letter.Headers;
            var reason = headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterReason);
            Assert.False(string.IsNullOrWhiteSpace(reason), $"{EnvelopeHeaders.DeadLetterReason} is missing on {original.Id}");
            Assert.Contains(failureMessage(original.Id), reason, StringComparison.Ordinal);
            Assert.Equal(attempts.ToString(CultureInfo.InvariantCulture), headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterAttempts));
            Assert.Equal(source, headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterSource));
            Assert.Equal(exceptionType.FullName, headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterExceptionType));
            Assert.False(headers.ContainsKey(EnvelopeHeaders.Attempt), $"A dead letter must not carry {EnvelopeHeaders.Attempt}, so a re-sent one starts afresh.");
            Assert.Equal(original.Type, letter.Type);
            Assert.True(letter.Body.Span.SequenceEqual(original.Body.Span), $"The body of dead letter {original.Id} differs from the original.");
            foreach (var (name, value) in original.Headers)
            {
                Assert.Equal(value, headers.GetValueOrDefault(name));
            }
        }
    }

    private static void AssertRedrivenAsOriginals(DeliveryLog handled, IReadOnlyList<Envelope> originals, string source)
    {
        foreach (var original in originals)
        {
            var delivery = Assert.Single(handled.Deliveries, d => d.Envelope.Id == original.Id);
            Assert.Equal(source, delivery.Source);
            Assert.Equal(1, delivery.Attempt);
            var reserved = delivery.Envelope.Headers.Keys.Where(EnvelopeHeaders.IsReserved).ToList();
            Assert.True(reserved.Count == 0, $"A re-sent dead letter must arrive without the library's headers, found: {string.Join(", ", reserved)}");
            Assert.Equal(original.Headers.OrderBy(h => h.Key, StringComparer.Ordinal), HeadersAsSent(original, delivery.Envelope));
            Assert.True(delivery.Envelope.Body.Span.SequenceEqual(original.Body.Span), $"The body of re-sent {original.Id} differs from the original.");
        }
    }

    /// <summary>Every handling attempt per message id, with when it started.</summary>
    private sealed class AttemptLog
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Attempt, long Timestamp)>> _attempts = new(StringComparer.Ordinal);

        /// <summary>A handler that records the attempt and always fails.</summary>
        public MessageHandler FailingHandler => (message, _) =>
        {
            Record(message);
            throw new InvalidOperationException(LastFailureMessage(message.Envelope.Id) + $" (attempt {message.Attempt})");
        };

        /// <summary>The failure message <see cref="FailingHandler"/> throws with, which the dead-letter reason must carry.</summary>
        public Func<string, string> LastFailureMessage { get; } = id => $"conformance: handler failed for {id}";

        public void Record(ReceivedMessage message) =>
            _attempts.GetOrAdd(message.Envelope.Id, _ => new()).Enqueue((message.Attempt, Stopwatch.GetTimestamp()));

        /// <summary>Asserts attempts 1..MaxAttempts for every message, in order, and the policy's delays between the delayed ones.</summary>
        public void AssertEachTriedExactly(IEnumerable<Envelope> messages, RetryPolicy policy)
        {
            foreach (var message in messages)
            {
                var made = _attempts.TryGetValue(message.Id, out var queue) ? queue.ToList() : [];
                Assert.True(
                    made.Select(a => a.Attempt).SequenceEqual(Enumerable.Range(1, policy.MaxAttempts)),
                    $"{message.Id} should have been tried as attempts [{string.Join(", ", Enumerable.Range(1, policy.MaxAttempts))}], was [{string.Join(", ", made.Select(a => a.Attempt))}].");
                for (var next = 2; next <= made.Count; next++)
                {
                    var delay = policy.DelayBefore(next)!.Value;
                    var waited = Stopwatch.GetElapsedTime(made[next - 2].Timestamp, made[next - 1].Timestamp);

                    // Timers may fire a clock tick early; 80% of the delay still proves the retry was held back.
                    Assert.True(
                        waited >= delay * 0.8,
                        $"{message.Id}: attempt {next} came {waited.TotalMilliseconds:0} ms after attempt {next - 1}, but the policy delays it by {delay.TotalMilliseconds:0} ms.");
                }
            }
        }
    }
}

/// <summary>A typed message for the poison-message scenario.</summary>
/// <param name="OrderId">The order.</param>
/// <param name="Amount">Its amount.</param>
internal sealed record ConformanceOrder(string OrderId, decimal Amount);

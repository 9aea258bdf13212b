using System.Collections.Concurrent;
using System.Globalization;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Ordering by key: messages of one key are handled one at a time in publish order, even across retries, while
/// different keys run concurrently; transports without the capability refuse such a consumer.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class OrderingScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    private const string SequenceHeader = "conformance.sequence";
    private const int Keys = 5;
    private const int PerKey = 60;

    [Fact]
    public async Task A_queue_consumer_keeps_the_order_of_each_key_and_runs_keys_concurrently()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.OrderingByKey));
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("ordered");
        var checker = new KeyOrderChecker(NewLog("ordered handling"));
        await scope.ConsumeAsync(queue, checker.Handler(), new ConsumerOptions { MaxInFlight = 8, Ordering = MessageOrdering.ByKey });

        var messages = KeyedMessages();
        await SendAllAsync(queue, messages);

        await checker.Log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        checker.AssertOrderedPerKeyAndConcurrentAcrossKeys(messages);
    }

    [Fact]
    public async Task A_subscription_consumer_keeps_the_order_of_each_key_and_runs_keys_concurrently()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.OrderingByKey));
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("ordered");
        var subscription = scope.NewSubscription(topic, "ordered");
        await Transport.Topology.EnsureAsync(Destination.ForSubscription(topic, subscription), Ct);
        var checker = new KeyOrderChecker(NewLog("ordered handling"));
        await scope.SubscribeAsync(topic, subscription, checker.Handler(), new SubscriptionOptions { MaxInFlight = 8, Ordering = MessageOrdering.ByKey });

        var messages = KeyedMessages();
        await PublishAllAsync(topic, messages);

        await checker.Log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        checker.AssertOrderedPerKeyAndConcurrentAcrossKeys(messages);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_order_of_a_key_survives_a_hand_over_to_a_standby_ordered_consumer(bool gracefulStop)
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.OrderingByKey));
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("ordered-handover");
        var messages = Fixture.NewMessages(10, (i, m) => m with { Key = "one-key" });
        await SendAllAsync(queue, messages);
        var options = new ConsumerOptions { MaxInFlight = 4, Ordering = MessageOrdering.ByKey };
        var handled = NewLog("handled by either consumer");
        var firstEntered = NewLog("entered by the first consumer");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = await scope.ConsumeAsync(
            queue,
            async (message, cancellationToken) =>
            {
                firstEntered.Record(message);
                if (message.Envelope.Id == messages[0].Id)
                {
                    // Slow on the first message, so the next ones of its key wait behind it in this consumer.
                    await release.Task.WaitAsync(cancellationToken);
                }

                handled.Record(message);
            },
            options);
        await firstEntered.WaitForAsync([messages[0].Id], Fixture.Timeout, Ct);
        await scope.ConsumeAsync(queue, handled.Handler, options);

        // Let the prefetch reach the first consumer, then hand over.
        await Task.Delay(Fixture.QuietPeriod, Ct);
        if (gracefulStop)
        {
            var stopping = first.StopAsync(Ct);
            release.SetResult();
            await Within(stopping, "the graceful stop");
        }
        else
        {
            await Within(first.DisposeAsync().AsTask(), "the disposal");
        }

        await handled.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        Assert.Equal(IdsOf(messages), handled.Deliveries.Select(d => d.Envelope.Id));
    }

    [Fact]
    public async Task A_message_waiting_for_a_delayed_retry_holds_back_the_rest_of_its_key()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.OrderingByKey));
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("ordered-retry");
        var messages = KeyedMessages();

        // The third message of every key fails twice: once at once, once after a delay.
        var failOnce = messages.Where(m => m.Headers[SequenceHeader] == "2").Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        var failures = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var checker = new KeyOrderChecker(NewLog("ordered handling with retries"));
        var policy = Fixture.FastRetry;
        await scope.ConsumeAsync(
            queue,
            checker.Handler(message =>
            {
                if (failOnce.Contains(message.Envelope.Id) && failures.AddOrUpdate(message.Envelope.Id, 1, (_, n) => n + 1) <= 2)
                {
                    throw new InvalidOperationException($"conformance: {message.Envelope.Id} fails on attempt {message.Attempt}");
                }
            }),
            new ConsumerOptions { MaxInFlight = 8, Ordering = MessageOrdering.ByKey, Retry = policy });

        await SendAllAsync(queue, messages);

        await checker.Log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        checker.AssertOrderedPerKeyAndConcurrentAcrossKeys(messages);
        Assert.All(checker.Log.Deliveries.Where(d => failOnce.Contains(d.Envelope.Id)), d => Assert.Equal(3, d.Attempt));
    }

    [Fact]
    public async Task Ordering_by_key_is_refused_where_the_transport_does_not_offer_it()
    {
        Capability.RequireMissing(Fixture, nameof(TransportCapabilities.OrderingByKey));
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("unordered");
        var log = NewLog("never");
        AssertRefused(await Assert.ThrowsAsync<CapabilityNotSupportedException>(
            () => scope.ConsumeAsync(queue, log.Handler, new ConsumerOptions { Ordering = MessageOrdering.ByKey })));

        // No consumer was left running by the refused call: what is sent stays for a consumer that is allowed.
        var message = Fixture.NewMessage();
        await Transport.Queue.SendAsync(queue, message, Ct);
        await log.AssertReceivesNothingAsync(Fixture);
        await scope.ConsumeAsync(queue, log.Handler);
        await log.AssertReceivesExactlyAsync([message.Id], Fixture);
    }

    [Fact]
    public async Task Ordering_by_key_is_refused_on_a_subscription_where_the_transport_does_not_offer_it()
    {
        Capability.RequireMissing(Fixture, nameof(TransportCapabilities.OrderingByKey));
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("unordered");
        var subscription = scope.NewSubscription(topic, "unordered");
        AssertRefused(await Assert.ThrowsAsync<CapabilityNotSupportedException>(
            () => scope.SubscribeAsync(topic, subscription, NewLog("never").Handler, new SubscriptionOptions { Ordering = MessageOrdering.ByKey })));
    }

    private void AssertRefused(CapabilityNotSupportedException error)
    {
        Assert.Equal(nameof(TransportCapabilities.OrderingByKey), error.Capability);
        Assert.Equal(Fixture.TransportName, error.Transport);
        Assert.Contains(nameof(TransportCapabilities.OrderingByKey), error.Message, StringComparison.Ordinal);
    }

    private IReadOnlyList<Envelope> KeyedMessages() =>

        // Keys interleaved (k0 #0, k1 #0, ..., k0 #1, ...), so that order per key is not an accident of sending order.
        Fixture.NewMessages(Keys * PerKey, (i, m) => m.WithHeader(SequenceHeader, (i / Keys).ToString(CultureInfo.InvariantCulture)) with { Key = $"key-{i % Keys}" });

    /// <summary>Checks order per key, one-at-a-time per key, and concurrency across keys.</summary>
    private sealed class KeyOrderChecker(DeliveryLog log)
    {
        private readonly ConcurrentDictionary<string, int> _runningPerKey = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<string> _overlaps = new();
        private readonly ConcurrencyGauge _gauge = new();

        public DeliveryLog Log { get; } = log;

        public MessageHandler Handler(Action<ReceivedMessage>? beforeSuccess = null) => async (message, cancellationToken) =>
        {
            var key = message.Envelope.Key ?? "(none)";
            if (_runningPerKey.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
            {
                _overlaps.Enqueue($"{message.Envelope.Id} started while another message of {key} was running");
            }

            var running = _gauge.Enter();
            try
            {
                // Work long enough for handlers of different keys to overlap.
                await Task.Delay(2, cancellationToken);
                beforeSuccess?.Invoke(message);
                Log.Record(message);
            }
            finally
            {
                running.Dispose();
                _runningPerKey.AddOrUpdate(key, 0, (_, n) => n - 1);
            }
        };

        public void AssertOrderedPerKeyAndConcurrentAcrossKeys(IReadOnlyList<Envelope> sent)
        {
            Assert.True(_overlaps.IsEmpty, "Messages of one key ran at the same time: " + string.Join("; ", _overlaps.Take(5)));
            foreach (var key in sent.Select(m => m.Key!).Distinct())
            {
                var expected = sent.Where(m => m.Key == key).Select(m => m.Id).ToList();
                var handled = Log.Deliveries.Where(d => d.Envelope.Key == key).Select(d => d.Envelope.Id).ToList();
                var firstOutOfOrder = handled.Zip(expected).Select((pair, i) => (pair, i)).FirstOrDefault(x => x.pair.First != x.pair.Second);
                Assert.True(
                    handled.SequenceEqual(expected),
                    $"{key} was handled out of order: at position {firstOutOfOrder.i} expected {firstOutOfOrder.pair.Second}, got {firstOutOfOrder.pair.First}.");
            }

            Assert.True(_gauge.Max > 1, $"Different keys should run concurrently, but at most {_gauge.Max} handler ran at a time.");
        }
    }
}

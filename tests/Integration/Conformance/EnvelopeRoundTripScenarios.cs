namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Envelope round trip: every field of the envelope, any bytes in the body and any Unicode in the headers arrive
/// unchanged, through a queue, a subscription and a stream.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class EnvelopeRoundTripScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    [Fact]
    public async Task Every_field_arrives_unchanged_through_a_queue()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("roundtrip");
        var log = NewLog($"queue {queue}");
        await scope.ConsumeAsync(queue, log.Handler);
        var messages = Samples();

        foreach (var message in messages)
        {
            await Transport.Queue.SendAsync(queue, message, Ct);
        }

        await log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        AssertEachArrivedUnchanged(log, messages, d =>
        {
            Assert.Equal(queue, d.Source);
            Assert.Null(d.Topic);
            Assert.Null(d.Subscription);
        });
    }

    [Fact]
    public async Task Every_field_arrives_unchanged_through_a_subscription()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("roundtrip");
        var subscription = scope.NewSubscription(topic, "roundtrip");
        var log = NewLog($"subscription {subscription}");
        await scope.SubscribeAsync(topic, subscription, log.Handler);
        var messages = Samples();

        foreach (var message in messages)
        {
            await Transport.Publisher.PublishAsync(topic, message, Ct);
        }

        await log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        AssertEachArrivedUnchanged(log, messages, d =>
        {
            Assert.Equal(DestinationNames.SubscriptionQueue(topic, subscription), d.Source);
            Assert.Equal(topic, d.Topic);
            Assert.Equal(subscription, d.Subscription);
        });
    }

    [Fact]
    public async Task Every_field_arrives_unchanged_through_a_stream()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("roundtrip");
        var messages = Samples();

        foreach (var message in messages)
        {
            await Transport.Stream.AppendAsync(stream, message, Ct);
        }

        var log = NewLog($"stream {stream}");
        await scope.ReadAsync(stream, scope.NewReaderGroup(stream), log.Handler);

        await log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        AssertEachArrivedUnchanged(log, messages, d =>
        {
            Assert.Equal(stream, d.Source);
            Assert.NotNull(d.StreamOffset);
            Assert.NotNull(d.StreamPartition);
        });
    }

    [Fact]
    public async Task Batches_carry_every_field_too()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("roundtrip-batch");
        var log = NewLog($"queue {queue}");
        await scope.ConsumeAsync(queue, log.Handler);
        var messages = Samples();

        // In as few batch calls as the transport's batch limits allow (the largest sample alone may fill one).
        await SendAllAsync(queue, messages);

        await log.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        AssertEachArrivedUnchanged(log, messages, _ => { });
    }

    /// <summary>A fully populated envelope, one with every byte value, one with an empty body and optional fields
    /// left out, and one with a body of exactly the transport's maximum size.</summary>
    private List<Envelope> Samples()
    {
        var full = Fixture.NewMessage("conformance.round-trip") with
        {
            ContentType = "application/x-conformance; charset=utf-8",
            Key = "customer-42/eu:1",
            CorrelationId = "correlation-" + Guid.NewGuid().ToString("N"),
            CausationId = "causation-" + Guid.NewGuid().ToString("N"),
            ReplyTo = Fixture.UniqueName("reply-to"),

            // A time far from now (so it cannot be re-stamped by accident), with milliseconds and an offset.
            Timestamp = new DateTimeOffset(2021, 3, 4, 5, 6, 7, 891, TimeSpan.FromHours(2)),
        };
        full = full.WithHeaders(new Dictionary<string, string>
        {
            ["ключ"] = "値 ✓",
            ["x-plain"] = "plain ascii",
            ["x-symbols"] = "a=b; c,d \"quoted\" 'single' <tag> & % + / \\ emoji 🚀",
            ["x-digits"] = "0123456789",
        });
        var allBytes = Fixture.NewMessage("conformance.binary") with
        {
            Body = Enumerable.Range(0, 512).Select(i => (byte)(i % 256)).Reverse().ToArray(),
            ContentType = "application/octet-stream",
        };
        var empty = Fixture.NewMessage("conformance.empty") with { Body = ReadOnlyMemory<byte>.Empty };
        var largest = new byte[Fixture.Capabilities.MaxMessageSize];
        new Random(42).NextBytes(largest);
        var atLimit = Fixture.NewMessage("conformance.largest") with { Body = largest };
        return [full, allBytes, empty, atLimit];
    }

    private static void AssertEachArrivedUnchanged(DeliveryLog log, IReadOnlyList<Envelope> sent, Action<ReceivedMessage> deliveryFacts)
    {
        foreach (var original in sent)
        {
            var delivery = Assert.Single(log.Deliveries, d => d.Envelope.Id == original.Id);
            var received = delivery.Envelope;
            var differences = new List<string>();
            Compare("Type", original.Type, received.Type);
            Compare("ContentType", original.ContentType, received.ContentType);
            Compare("Key", original.Key, received.Key);
            Compare("CorrelationId", original.CorrelationId, received.CorrelationId);
            Compare("CausationId", original.CausationId, received.CausationId);
            Compare("ReplyTo", original.ReplyTo, received.ReplyTo);
            if (original.Timestamp.ToUnixTimeMilliseconds() != received.Timestamp.ToUnixTimeMilliseconds())
            {
                differences.Add($"Timestamp: sent {original.Timestamp:O}, received {received.Timestamp:O}");
            }

            var sentHeaders = original.Headers.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}={h.Value}").ToList();
            var receivedHeaders = HeadersAsSent(original, received).Select(h => $"{h.Key}={h.Value}").ToList();
            if (!sentHeaders.SequenceEqual(receivedHeaders, StringComparer.Ordinal))
            {
                differences.Add($"Headers: missing or changed [{string.Join("; ", sentHeaders.Except(receivedHeaders, StringComparer.Ordinal))}], added or changed [{string.Join("; ", receivedHeaders.Except(sentHeaders, StringComparer.Ordinal))}]");
            }

            if (!received.Body.Span.SequenceEqual(original.Body.Span))
            {
                differences.Add($"Body: sent {original.Body.Length} bytes, received {received.Body.Length} bytes{FirstDifference(original.Body.Span, received.Body.Span)}");
            }

            Assert.True(differences.Count == 0, $"{original.Type} {original.Id} changed in transit:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", differences)}");
            Assert.Equal(1, delivery.Attempt);
            Assert.False(delivery.Redelivered);
            deliveryFacts(delivery);

            void Compare(string field, string? expected, string? actual)
            {
                if (!string.Equals(expected, actual, StringComparison.Ordinal))
                {
                    differences.Add($"{field}: sent {Show(expected)}, received {Show(actual)}");
                }
            }
        }

        static string Show(string? value) => value is null ? "null" : $"\"{value}\"";

        static string FirstDifference(ReadOnlySpan<byte> sent, ReadOnlySpan<byte> received)
        {
            var at = sent.CommonPrefixLength(received);
            return at < Math.Min(sent.Length, received.Length) ? $", first difference at byte {at} (sent 0x{sent[at]:X2}, received 0x{received[at]:X2})" : "";
        }
    }
}

using System.Globalization;
using System.Text;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Foreign messages: what a publisher that does not use this library puts on the broker (through
/// <see cref="TransportFixture.SendForeignAsync"/>) reaches the handler with every attribute it carries, with one
/// stable identity, and nothing it carries steers the pipeline or is lost on retries, dead letters and redrive.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class ForeignMessageScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    private static readonly DateTimeOffset EventTime = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    [Fact]
    public async Task Binary_mode_CloudEvents_attributes_reach_the_handler_under_every_prefix_of_the_binding()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("ce-binary");
        var log = NewLog($"queue {queue}");
        await scope.ConsumeAsync(queue, log.Handler);
        var ids = new List<string>();
        foreach (var prefix in Fixture.CloudEventsHeaderPrefixes)
        {
            var id = $"{Fixture.RunId}-binary-{ids.Count}";
            ids.Add(id);
            await Fixture.SendForeignAsync(queue, BinaryEvent(prefix, id), Ct);
        }

        await log.AssertReceivesExactlyAsync(ids, Fixture);
        foreach (var delivery in log.Deliveries)
        {
            AssertForeignEvent(delivery.Envelope);
            Assert.Equal(EventTime, delivery.Envelope.Timestamp);
            Assert.Equal("application/json", delivery.Envelope.ContentType);
            Assert.Equal(1, delivery.Attempt);
        }
    }

    [Fact]
    public async Task A_CloudEvent_keeps_its_identity_and_attributes_through_retries_dead_letters_and_redrive()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("ce-kept");
        var deadLetterQueue = DestinationNames.DeadLetterQueue(queue);
        scope.Track(Destination.Queue(deadLetterQueue));
        var failures = NewLog("failed attempts");
        var handled = NewLog("handled after the redrive");
        var handler = new FailsUntilFixed(failures, handled);
        await scope.ConsumeAsync(queue, handler.Handler, new ConsumerOptions { MaxInFlight = 1, Retry = Fixture.FastRetry });
        var id = $"{Fixture.RunId}-kept";
        await Fixture.SendForeignAsync(queue, BinaryEvent(Fixture.CloudEventsHeaderPrefixes[0], id), Ct);

        await failures.WaitForCountAsync(Fixture.FastRetry.MaxAttempts, Fixture.Timeout, Ct);
        Assert.All(failures.Deliveries, d => AssertForeignEvent(d.Envelope));
        Assert.Equal(Enumerable.Range(1, Fixture.FastRetry.MaxAttempts), failures.Deliveries.Select(d => d.Attempt).Order());

        // The dead letter is looked at on its way through the redrive, which sends it back to the queue.
        var deadLetters = NewLog("dead letters");
        var redrive = DeadLetterRedrive.CreateHandler(Transport.Queue);
        handler.Fix();
        await scope.ConsumeAsync(deadLetterQueue, async (message, cancellationToken) =>
        {
            deadLetters.Record(message);
            await redrive(message, cancellationToken);
        });
        await deadLetters.AssertReceivesExactlyAsync([id], Fixture);
        AssertForeignEvent(deadLetters.Deliveries[0].Envelope);
        Assert.Equal(queue, deadLetters.Deliveries[0].Envelope.Headers.GetValueOrDefault(EnvelopeHeaders.DeadLetterSource));
        await handled.AssertReceivesExactlyAsync([id], Fixture);
        AssertForeignEvent(handled.Deliveries[0].Envelope);
        Assert.Equal(EventTime, handled.Deliveries[0].Envelope.Timestamp);
    }

    [Fact]
    public async Task A_structured_mode_CloudEvent_is_decoded_into_the_envelope()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("ce-structured");
        var log = NewLog($"queue {queue}");
        await scope.ConsumeAsync(queue, log.Handler);
        var id = $"{Fixture.RunId}-structured";
        var json = $$$"""
            {"specversion":"1.0","id":"{{{id}}}","source":"urn:conformance:foreign","type":"conformance.foreign.invoiced",
             "subject":"invoice-7","time":"2026-01-02T03:04:05.678Z","dataschema":"https://example.com/invoice.json",
             "tenant":"acme","datacontenttype":"application/json","data":{"amount":12.5,"currency":"EUR"}}
            """;
        await Fixture.SendForeignAsync(queue, new ForeignMessage(Encoding.UTF8.GetBytes(json))
        {
            ContentType = "application/cloudevents+json; charset=utf-8",
            Headers = new Dictionary<string, object?> { [TransportFixture.RunIdHeader] = Fixture.RunId },
        }, Ct);

        await log.AssertReceivesExactlyAsync([id], Fixture);
        var envelope = log.Deliveries[0].Envelope;
        AssertForeignEvent(envelope);
        Assert.Equal(EventTime, envelope.Timestamp);
        Assert.Equal("application/json", envelope.ContentType);
        Assert.Equal("""{"amount":12.5,"currency":"EUR"}""", Encoding.UTF8.GetString(envelope.Body.Span));
    }

    [Fact]
    public async Task A_native_timestamp_as_CloudEvents_time_is_the_message_time()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("ce-native-time");
        var log = NewLog($"queue {queue}");
        await scope.ConsumeAsync(queue, log.Handler);
        var prefix = Fixture.CloudEventsHeaderPrefixes[0];
        var id = $"{Fixture.RunId}-native-time";
        var time = new DateTimeOffset(2025, 6, 7, 8, 9, 10, TimeSpan.Zero);
        await Fixture.SendForeignAsync(queue, new ForeignMessage("{}"u8.ToArray())
        {
            Headers = new Dictionary<string, object?>
            {
                [TransportFixture.RunIdHeader] = Fixture.RunId,
                [prefix + "specversion"] = "1.0",
                [prefix + "id"] = id,
                [prefix + "type"] = "conformance.foreign.timed",
                [prefix + "source"] = "urn:conformance:foreign",
                [prefix + "time"] = time,
            },
        }, Ct);

        await log.AssertReceivesExactlyAsync([id], Fixture);
        Assert.Equal(time, log.Deliveries[0].Envelope.Timestamp);
    }

    [Fact]
    public async Task A_foreign_message_without_an_id_keeps_one_id_across_redeliveries()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("no-id");
        var entered = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = await scope.ConsumeAsync(queue, async (message, cancellationToken) =>
        {
            entered.TrySetResult(message);
            await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, cancellationToken);
        });
        await Fixture.SendForeignAsync(queue, new ForeignMessage("no id here"u8.ToArray())
        {
            Type = "conformance.foreign.anonymous",
            Headers = new Dictionary<string, object?> { [TransportFixture.RunIdHeader] = Fixture.RunId },
        }, Ct);
        var firstDelivery = await entered.Task.WaitAsync(Fixture.Timeout, Ct);

        // Released unhandled, so the broker delivers it again: the id must be the same.
        await first.StopAsync(new CancellationToken(canceled: true));
        var log = NewLog("after the release");
        await scope.ConsumeAsync(queue, log.Handler);
        await log.AssertReceivesExactlyAsync([firstDelivery.Envelope.Id], Fixture);
        Assert.True(log.Deliveries[0].Redelivered, "A released message's second delivery must say Redelivered.");
        Assert.False(string.IsNullOrEmpty(firstDelivery.Envelope.Id));
    }

    [Fact]
    public async Task Headers_of_every_native_type_reach_the_handler_in_their_documented_string_form()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("native-headers");
        var log = NewLog($"queue {queue}");
        await scope.ConsumeAsync(queue, log.Handler);
        var id = $"{Fixture.RunId}-native-headers";
        await Fixture.SendForeignAsync(queue, new ForeignMessage("{}"u8.ToArray())
        {
            Headers = new Dictionary<string, object?>
            {
                [TransportFixture.RunIdHeader] = Fixture.RunId,
                [Fixture.CloudEventsHeaderPrefixes[0] + "id"] = id,
                ["int"] = -42,
                ["long"] = 9_000_000_000L,
                ["double"] = 0.5,
                ["bool"] = true,
                ["time"] = new DateTimeOffset(2025, 6, 7, 8, 9, 10, TimeSpan.Zero),
                ["utf8-bytes"] = Encoding.UTF8.GetBytes("grüße"),
                ["binary"] = new byte[] { 0xFF, 0xFE, 0x00, 0x01 },
                ["list"] = new List<object?> { 1, "two", true },
                ["map"] = new Dictionary<string, object?> { ["k"] = "v", ["n"] = 3 },
            },
        }, Ct);

        await log.AssertReceivesExactlyAsync([id], Fixture);
        var headers = log.Deliveries[0].Envelope.Headers;
        Assert.Equal("-42", headers.GetValueOrDefault("int"));
        Assert.Equal("9000000000", headers.GetValueOrDefault("long"));
        Assert.Equal("0.5", headers.GetValueOrDefault("double"));
        Assert.Equal("true", headers.GetValueOrDefault("bool"));
        Assert.Equal("2025-06-07T08:09:10Z", headers.GetValueOrDefault("time"));
        Assert.Equal("grüße", headers.GetValueOrDefault("utf8-bytes"));
        Assert.Equal("base64:" + Convert.ToBase64String(new byte[] { 0xFF, 0xFE, 0x00, 0x01 }), headers.GetValueOrDefault("binary"));
        Assert.Equal("""[1,"two",true]""", headers.GetValueOrDefault("list"));
        Assert.Equal("""{"k":"v","n":3}""", headers.GetValueOrDefault("map"));
    }

    [Fact]
    public async Task A_foreign_attempt_header_does_not_steer_the_retry_pipeline()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("foreign-attempt");
        var attempts = NewLog("attempts");
        await scope.ConsumeAsync(
            queue,
            (message, _) =>
            {
                attempts.Record(message);
                return message.Attempt == 1 ? throw new InvalidOperationException("conformance: first attempt fails") : ValueTask.CompletedTask;
            },
            new ConsumerOptions { MaxInFlight = 1, Retry = Fixture.FastRetry });
        var id = $"{Fixture.RunId}-attempt";
        await Fixture.SendForeignAsync(queue, new ForeignMessage("{}"u8.ToArray())
        {
            Headers = new Dictionary<string, object?>
            {
                [TransportFixture.RunIdHeader] = Fixture.RunId,
                [Fixture.CloudEventsHeaderPrefixes[0] + "id"] = id,
                [EnvelopeHeaders.Attempt] = "999",
            },
        }, Ct);

        await attempts.WaitForCountAsync(2, Fixture.Timeout, Ct);
        Assert.Equal([1, 2], attempts.Deliveries.Select(d => d.Attempt));
    }

    [Fact]
    public async Task The_CloudEvents_type_is_the_message_type_over_a_native_type_property()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("one-type");
        var log = NewLog($"queue {queue}");
        await scope.ConsumeAsync(queue, log.Handler);
        var prefix = Fixture.CloudEventsHeaderPrefixes[0];
        var id = $"{Fixture.RunId}-both-types";

        // A broker without a native type property drops ForeignMessage.Type; the CloudEvents type wins either way.
        await Fixture.SendForeignAsync(queue, new ForeignMessage("{}"u8.ToArray())
        {
            Type = "conformance.native.type",
            Headers = new Dictionary<string, object?>
            {
                [TransportFixture.RunIdHeader] = Fixture.RunId,
                [prefix + "id"] = id,
                [prefix + "type"] = "conformance.cloudevents.type",
            },
        }, Ct);

        await log.AssertReceivesExactlyAsync([id], Fixture);
        Assert.Equal("conformance.cloudevents.type", log.Deliveries[0].Envelope.Type);
    }

    private ForeignMessage BinaryEvent(string prefix, string id) => new("""{"amount":12.5}"""u8.ToArray())
    {
        Headers = new Dictionary<string, object?>
        {
            [TransportFixture.RunIdHeader] = Fixture.RunId,
            [prefix + "specversion"] = "1.0",
            [prefix + "id"] = id,
            [prefix + "source"] = "urn:conformance:foreign",
            [prefix + "type"] = "conformance.foreign.invoiced",
            [prefix + "subject"] = "invoice-7",
            [prefix + "time"] = EventTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            [prefix + "dataschema"] = "https://example.com/invoice.json",
            [prefix + "datacontenttype"] = "application/json",
            [prefix + "tenant"] = "acme",
        },
    };

    private static void AssertForeignEvent(Envelope envelope)
    {
        Assert.Equal("conformance.foreign.invoiced", envelope.Type);
        Assert.Equal("urn:conformance:foreign", envelope.Headers.GetValueOrDefault(CloudEventHeaders.Source));
        Assert.Equal("invoice-7", envelope.Headers.GetValueOrDefault(CloudEventHeaders.Subject));
        Assert.Equal("https://example.com/invoice.json", envelope.Headers.GetValueOrDefault(CloudEventHeaders.DataSchema));
        Assert.Equal("acme", envelope.Headers.GetValueOrDefault(CloudEventHeaders.For("tenant")));
    }
}

using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon;
using Amazon.Runtime;
using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Tests.Support;
using Messaging.Adapters.Aws.Topology;

namespace Messaging.Adapters.Aws.Tests.Unit;

/// <summary>
/// The EventBridge building blocks: the event pattern built from each filter, checked against EventBridge's documented
/// matching semantics on sample events (table-driven) and against the library's own filter semantics; the events built
/// from envelopes; and the JSON 1.1 requests, compared with what <c>@aws-sdk/client-eventbridge</c> sends.
/// </summary>
public sealed class EventBridgeTests
{
    private const string Source = "messaging.adapters";
    private const string Bus = "orders-bus";

    private static readonly SubscriptionFilter EuOnly = SubscriptionFilter.ForHeader("region", "eu");
    private static readonly SubscriptionFilter PlacedOrCancelled = SubscriptionFilter.ForTypes("order.placed", "order.cancelled");
    private static readonly SubscriptionFilter PlacedInEuGold = new()
    {
        MessageTypes = ["order.placed"],
        Headers = new Dictionary<string, string> { ["region"] = "eu", ["tier"] = "gold" },
    };

    public static TheoryData<string, string?, string, string, string, bool> Table() => new()
    {
        // case, filter, topic of the event, type, headers (k=v;...), expected
        { "no filter: every message of the topic", null, "orders", "order.placed", "", true },
        { "no filter: not another topic's", null, "payments", "order.placed", "", false },
        { "types: a listed type", "types", "orders", "order.cancelled", "", true },
        { "types: an unlisted type", "types", "orders", "order.shipped", "region=eu", false },
        { "types: case matters", "types", "orders", "Order.Placed", "", false },
        { "header: the value", "eu", "orders", "order.placed", "region=eu", true },
        { "header: another value", "eu", "orders", "order.placed", "region=us", false },
        { "header: missing", "eu", "orders", "order.placed", "tier=gold", false },
        { "header: value differs in case", "eu", "orders", "order.placed", "region=EU", false },
        { "header: extra headers do not matter", "eu", "orders", "order.placed", "region=eu;tier=silver", true },
        { "type and headers: all match", "gold", "orders", "order.placed", "region=eu;tier=gold", true },
        { "type and headers: one header off", "gold", "orders", "order.placed", "region=eu;tier=silver", false },
        { "type and headers: type off", "gold", "orders", "order.cancelled", "region=eu;tier=gold", false },
        { "type and headers: other topic", "gold", "payments", "order.placed", "region=eu;tier=gold", false },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void The_pattern_built_from_a_filter_matches_exactly_what_the_filter_keeps(string @case, string? filterName, string eventTopic, string type, string headers, bool expected)
    {
        var filter = Filter(filterName);
        var message = new Envelope(type, "{\"order\":1}"u8.ToArray())
        {
            Headers = headers.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(h => h.Split('=')).ToDictionary(h => h[0], h => h[1]),
        };
        var pattern = (JsonObject)JsonNode.Parse(EventBridgeEvents.Pattern("orders", filter, Source))!;
        var entry = EventBridgeEvents.ToEntry(message, eventTopic, Bus, Source);

        var matched = EventPatternSemantics.Matches(pattern, Event(entry));

        Assert.True(expected == matched, $"{@case}: expected {(expected ? "a match" : "no match")} of {pattern.ToJsonString()}");

        // And EventBridge's verdict is the library's own for messages of the topic.
        if (eventTopic == "orders")
        {
            Assert.Equal(filter?.Matches(message) ?? true, matched);
        }
    }

    [Fact]
    public void A_pattern_is_plain_EventBridge_json()
    {
        Assert.Equal(
            "{\"source\":[\"messaging.adapters\"],\"detail-type\":[\"order.placed\"],\"detail\":{\"topic\":[\"orders\"],\"headers\":{\"region\":[\"eu\"],\"tier\":[\"gold\"]}}}",
            EventBridgeEvents.Pattern("orders", PlacedInEuGold, Source));
        Assert.Equal("{\"source\":[\"messaging.adapters\"],\"detail\":{\"topic\":[\"orders\"]}}", EventBridgeEvents.Pattern("orders", null, Source));
    }

    [Theory]
    [InlineData("{\"order\":1}", true)]
    [InlineData("{ \"order\": 1 }", false)]
    [InlineData("not json", false)]
    [InlineData("", false)]
    public void A_compact_JSON_body_is_embedded_and_any_other_body_travels_base64_byte_for_byte(string body, bool embedded)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var message = new Envelope("t", bytes) { Key = "k", CorrelationId = "c" }.WithHeader("region", "eu");

        var entry = EventBridgeEvents.ToEntry(message, "orders", Bus, Source);
        var detail = (JsonObject)JsonNode.Parse(entry.Detail)!;

        Assert.Equal(Bus, entry.EventBusName);
        Assert.Equal(Source, entry.Source);
        Assert.Equal("t", entry.DetailType);
        Assert.Equal(message.Id, detail["id"]!.GetValue<string>());
        Assert.Equal("orders", detail["topic"]!.GetValue<string>());
        Assert.Equal("k", detail["partitionkey"]!.GetValue<string>());
        Assert.Equal("1.0", detail["specversion"]!.GetValue<string>());
        Assert.Equal("t", detail["type"]!.GetValue<string>());
        Assert.Equal("eu", detail["headers"]!["region"]!.GetValue<string>());
        if (embedded)
        {
            Assert.Equal(body, detail["data"]!.ToJsonString());
        }
        else
        {
            Assert.Equal(bytes, Convert.FromBase64String(detail["data_base64"]!.GetValue<string>()));
        }
    }

    public static TheoryData<string> Operations() => [.. Requests().Select(r => r.Name)];

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task The_request_is_the_official_SDKs_for_the_same_input(string operation)
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, command, input, ours) = Requests().Single(r => r.Name == operation);

        await using var reference = new CapturingEndpoint();
        reference.Answer((HttpStatusCode.OK, "{}"));
        var results = await AwsSdkForJavaScript.CallAsync(reference.Uri, [("eventbridge", command, input)], ct);
        Assert.True(reference.Requests.TryDequeue(out var expected), $"@aws-sdk/client-eventbridge sent no request: {results[0]}");

        await using var endpoint = new CapturingEndpoint();
        endpoint.Answer((HttpStatusCode.OK, "{}"));
        using (var client = new EventBridgeJsonClient(new BasicAWSCredentials("AKIDEXAMPLE", "SECRETEXAMPLE"), RegionEndpoint.USEast1, endpoint.Uri, maxErrorRetry: 0))
        {
            await ours(client, ct);
        }

        Assert.True(endpoint.Requests.TryDequeue(out var actual), "EventBridgeJsonClient sent no request");
        Assert.Equal(expected.Headers["x-amz-target"], actual.Headers["x-amz-target"]);
        Assert.Equal(expected.Headers["content-type"], actual.Headers["content-type"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected.Body), JsonNode.Parse(actual.Body)), $"expected {expected.Body}{Environment.NewLine}actual   {actual.Body}");
        Assert.Contains("/us-east-1/events/aws4_request", actual.Headers["authorization"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_entries_and_errors_are_reported_by_index_and_code()
    {
        await using var endpoint = new CapturingEndpoint();
        endpoint.Answer(
            (HttpStatusCode.OK, "{\"FailedEntryCount\":1,\"Entries\":[{\"EventId\":\"e-1\"},{\"ErrorCode\":\"InternalFailure\",\"ErrorMessage\":\"try again\"}]}"),
            (HttpStatusCode.BadRequest, "{\"__type\":\"com.amazonaws.events#ResourceNotFoundException\",\"message\":\"Rule r does not exist.\"}"));
        using var client = new EventBridgeJsonClient(new BasicAWSCredentials("AKIDEXAMPLE", "SECRETEXAMPLE"), RegionEndpoint.USEast1, endpoint.Uri, maxErrorRetry: 0);

        var failures = await client.PutEventsAsync([new EventBridgeEntry(Bus, Source, "t", "{}"), new EventBridgeEntry(Bus, Source, "t", "{}")], "orders", TestContext.Current.CancellationToken);
        var error = await Assert.ThrowsAsync<AwsDestinationNotFoundException>(() => client.DeleteRuleAsync("r", Bus, "audit", TestContext.Current.CancellationToken));

        Assert.Equal([new EventBridgeFailure(1, "InternalFailure", "try again")], failures);
        Assert.Equal("ResourceNotFoundException", error.ErrorCode);
        Assert.Equal("audit", error.Destination);
        Assert.Equal("EventBridge", error.Service);
    }

    private static SubscriptionFilter? Filter(string? name) => name switch
    {
        null => null,
        "types" => PlacedOrCancelled,
        "eu" => EuOnly,
        "gold" => PlacedInEuGold,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>The event as EventBridge hands it to rules: the entry's fields under their event names.</summary>
    private static JsonObject Event(EventBridgeEntry entry) => new()
    {
        ["version"] = "0",
        ["id"] = Guid.NewGuid().ToString(),
        ["source"] = entry.Source,
        ["detail-type"] = entry.DetailType,
        ["account"] = "000000000000",
        ["region"] = "us-east-1",
        ["resources"] = new JsonArray(),
        ["detail"] = JsonNode.Parse(entry.Detail),
    };

    private static IEnumerable<(string Name, string Command, object Input, Func<EventBridgeJsonClient, CancellationToken, Task> Ours)> Requests()
    {
        var time = new DateTimeOffset(2026, 11, 30, 12, 0, 0, 123, TimeSpan.Zero);
        var detail = "{\"topic\":\"orders\",\"headers\":{\"region\":\"eu\"},\"data\":{\"order\":1}}";
        yield return ("PutEvents", "PutEventsCommand", new
        {
            Entries = new object[]
            {
                new { Time = time, Source, DetailType = "order.placed", Detail = detail, EventBusName = Bus },
                new { Source, DetailType = "order.cancelled", Detail = "{}", EventBusName = Bus },
            },
        }, (c, ct) => c.PutEventsAsync([new EventBridgeEntry(Bus, Source, "order.placed", detail, time), new EventBridgeEntry(Bus, Source, "order.cancelled", "{}")], "orders", ct));

        var pattern = EventBridgeEvents.Pattern("orders", PlacedInEuGold, Source);
        yield return ("PutRule", "PutRuleCommand", new { Name = "orders-audit", EventPattern = pattern, State = "ENABLED", EventBusName = Bus },
            (c, ct) => c.PutRuleAsync("orders-audit", Bus, pattern, "audit", ct));

        yield return ("PutTargets", "PutTargetsCommand", new
        {
            Rule = "orders-audit",
            EventBusName = Bus,
            Targets = new object[] { new { Id = "queue", Arn = "arn:aws:sqs:us-east-1:000000000000:orders-audit", InputPath = "$.detail" } },
        }, (c, ct) => c.PutTargetAsync("orders-audit", Bus, "queue", "arn:aws:sqs:us-east-1:000000000000:orders-audit", "$.detail", "audit", ct));

        yield return ("RemoveTargets", "RemoveTargetsCommand", new { Rule = "orders-audit", EventBusName = Bus, Ids = new[] { "queue" } },
            (c, ct) => c.RemoveTargetsAsync("orders-audit", Bus, ["queue"], "audit", ct));

        yield return ("DeleteRule", "DeleteRuleCommand", new { Name = "orders-audit", EventBusName = Bus },
            (c, ct) => c.DeleteRuleAsync("orders-audit", Bus, "audit", ct));
    }
}

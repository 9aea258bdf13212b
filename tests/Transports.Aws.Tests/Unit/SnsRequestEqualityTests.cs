using Amazon;
using Amazon.Runtime;
using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Tests.Support;

namespace Messaging.Adapters.Aws.Tests.Unit;

/// <summary>
/// Every SNS request the transport makes, parameter for parameter as the official <c>@aws-sdk/client-sns</c> makes it
/// for the same input: both clients send to a local endpoint that records the requests, and the decoded form
/// parameters must be the same multiset (the Query protocol does not care about their order).
/// </summary>
public sealed class SnsRequestEqualityTests
{
    private const string TopicArn = "arn:aws:sns:us-east-1:000000000000:orders-placed";
    private const string FifoTopicArn = "arn:aws:sns:us-east-1:000000000000:prices.fifo";
    private const string SubscriptionArn = TopicArn + ":7f1c0a3e-5b7d-4a8e-9c21-0d6b3f5e8a91";
    private const string QueueArn = "arn:aws:sqs:us-east-1:000000000000:orders-placed-email";

    // Text that needs encoding: reserved characters, spaces, non-ASCII, a character outside the BMP.
    private const string Awkward = "héllo wörld +&=%/?#[]@!$'()*,; ~ \u20ac \U0001F600";

    public static TheoryData<string> Operations() => [.. Cases().Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task The_request_has_exactly_the_parameters_the_official_SDK_sends(string operation)
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, command, input, ours) = Cases().Single(c => c.Name == operation);

        await using var reference = new CapturingEndpoint();
        var results = await AwsSdkForJavaScript.CallAsync(reference.Uri, [("sns", command, input)], ct);
        Assert.Single(results);
        Assert.True(reference.Requests.TryDequeue(out var expected), $"@aws-sdk/client-sns sent no request: {results[0]}");

        await using var endpoint = new CapturingEndpoint();
        using (var client = new SnsQueryClient(new BasicAWSCredentials("AKIDEXAMPLE", "SECRETEXAMPLE"), RegionEndpoint.USEast1, endpoint.Uri, maxErrorRetry: 0))
        {
            try
            {
                await ours(client, ct);
            }
            catch (AwsServiceException)
            {
                // The endpoint's canned answer need not satisfy the parser: only the request matters here.
            }
        }

        Assert.True(endpoint.Requests.TryDequeue(out var actual), "SnsQueryClient sent no request");
        Assert.Equal(expected.Method, actual.Method);
        Assert.Equal(expected.Path, actual.Path);
        Assert.Equal(expected.Headers["content-type"], actual.Headers["content-type"]);
        Assert.Equal(Sorted(expected.Form()), Sorted(actual.Form()));

        // Encoded alike too (RFC 3986, as the SDKs encode), pair for pair.
        Assert.Equal(expected.Body.Split('&').Order(StringComparer.Ordinal), actual.Body.Split('&').Order(StringComparer.Ordinal));

        // Signed alike: SigV4 for service sns in us-east-1, with the payload hash and date the signature covers.
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", actual.Headers["authorization"], StringComparison.Ordinal);
        Assert.Contains("/us-east-1/sns/aws4_request", actual.Headers["authorization"], StringComparison.Ordinal);
        Assert.Contains("x-amz-date", actual.Headers["authorization"], StringComparison.Ordinal);
        Assert.True(actual.Headers.ContainsKey("x-amz-date"), "no x-amz-date header");
    }

    private static List<string> Sorted(IReadOnlyList<KeyValuePair<string, string>> form) => [.. form.Select(p => p.Key + "=" + p.Value).Order(StringComparer.Ordinal)];

    private static IEnumerable<(string Name, string Command, object Input, Func<SnsQueryClient, CancellationToken, Task> Ours)> Cases()
    {
        var attributes = new List<KeyValuePair<string, string>> { new("ce-id", "m-1"), new("ce-type", "order.placed"), new("region", Awkward) };
        yield return ("Publish", "PublishCommand", new
        {
            TopicArn,
            Message = Awkward,
            MessageAttributes = attributes.ToDictionary(a => a.Key, a => new { DataType = "String", StringValue = a.Value }),
        }, (c, ct) => c.PublishAsync(TopicArn, new SnsMessage(Awkward, attributes), "orders.placed", ct));

        yield return ("Publish to a FIFO topic", "PublishCommand", new
        {
            TopicArn = FifoTopicArn,
            Message = "{\"price\":1}",
            MessageAttributes = new Dictionary<string, object> { ["ce-id"] = new { DataType = "String", StringValue = "m-2" } },
            MessageGroupId = "key-1",
            MessageDeduplicationId = "m-2",
        }, (c, ct) => c.PublishAsync(FifoTopicArn, new SnsMessage("{\"price\":1}", [new("ce-id", "m-2")], "key-1", "m-2"), "prices.fifo", ct));

        yield return ("PublishBatch", "PublishBatchCommand", new
        {
            TopicArn,
            PublishBatchRequestEntries = new object[]
            {
                new { Id = "0", Message = "first", MessageAttributes = new Dictionary<string, object> { ["ce-id"] = new { DataType = "String", StringValue = "a" } } },
                new { Id = "1", Message = Awkward, MessageAttributes = attributes.ToDictionary(a => a.Key, a => (object)new { DataType = "String", StringValue = a.Value }) },
                new { Id = "2", Message = "third" },
            },
        }, (c, ct) => c.PublishBatchAsync(TopicArn, [new SnsMessage("first", [new("ce-id", "a")]), new SnsMessage(Awkward, attributes), new SnsMessage("third", [])], "orders.placed", ct));

        yield return ("CreateTopic", "CreateTopicCommand", new
        {
            Name = "prices.fifo",
            Attributes = new Dictionary<string, string> { ["FifoTopic"] = "true", ["ContentBasedDeduplication"] = "false" },
        }, (c, ct) => c.CreateTopicAsync("prices.fifo", new Dictionary<string, string> { ["FifoTopic"] = "true", ["ContentBasedDeduplication"] = "false" }, "prices.fifo", ct));

        yield return ("CreateTopic without attributes", "CreateTopicCommand", new { Name = "orders-placed" },
            (c, ct) => c.CreateTopicAsync("orders-placed", new Dictionary<string, string>(), "orders.placed", ct));

        const string Policy = "{\"ce-type\":[\"order.placed\"],\"$or\":[{\"region\":[\"eu\"]},{\"messaging-packed\":[{\"exists\":true}]}]}";
        yield return ("Subscribe", "SubscribeCommand", new
        {
            TopicArn,
            Protocol = "sqs",
            Endpoint = QueueArn,
            Attributes = new Dictionary<string, string> { ["RawMessageDelivery"] = "true", ["FilterPolicy"] = Policy },
            ReturnSubscriptionArn = true,
        }, (c, ct) => c.SubscribeAsync(TopicArn, "sqs", QueueArn, new Dictionary<string, string> { ["RawMessageDelivery"] = "true", ["FilterPolicy"] = Policy }, "email", ct));

        yield return ("SetSubscriptionAttributes", "SetSubscriptionAttributesCommand", new { SubscriptionArn, AttributeName = "FilterPolicy", AttributeValue = Policy },
            (c, ct) => c.SetSubscriptionAttributeAsync(SubscriptionArn, "FilterPolicy", Policy, "email", ct));

        yield return ("GetSubscriptionAttributes", "GetSubscriptionAttributesCommand", new { SubscriptionArn },
            (c, ct) => c.GetSubscriptionAttributesAsync(SubscriptionArn, "email", ct));

        yield return ("Unsubscribe", "UnsubscribeCommand", new { SubscriptionArn },
            (c, ct) => c.UnsubscribeAsync(SubscriptionArn, "email", ct));

        yield return ("ListSubscriptionsByTopic", "ListSubscriptionsByTopicCommand", new { TopicArn },
            (c, ct) => c.ListSubscriptionsByTopicAsync(TopicArn, "orders.placed", ct));

        yield return ("DeleteTopic", "DeleteTopicCommand", new { TopicArn },
            (c, ct) => c.DeleteTopicAsync(TopicArn, "orders.placed", ct));
    }
}

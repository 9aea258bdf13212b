using System.Net;
using Amazon;
using Amazon.Runtime;
using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Tests.Support;

namespace Messaging.Adapters.Aws.Tests.Unit;

/// <summary>
/// Throttling and 5xx answers are retried with jittered backoff; other AWS errors become typed exceptions that name
/// the topic and carry AWS's code, without retries.
/// </summary>
public sealed class SnsErrorHandlingTests
{
    private const string TopicArn = "arn:aws:sns:us-east-1:000000000000:orders-placed";
    private const string Published = "<PublishResponse><PublishResult><MessageId>sns-1</MessageId></PublishResult></PublishResponse>";

    private static string Error(string type, string code, string message) =>
        $"<ErrorResponse><Error><Type>{type}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>";

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable")]
    [InlineData(HttpStatusCode.InternalServerError, "InternalError")]
    [InlineData(HttpStatusCode.BadRequest, "Throttling")]
    [InlineData(HttpStatusCode.TooManyRequests, "TooManyRequestsException")]
    public async Task A_transient_answer_is_retried_until_the_request_succeeds(HttpStatusCode status, string code)
    {
        await using var endpoint = new CapturingEndpoint();
        endpoint.Answer((status, Error("Receiver", code, "slow down")), (status, Error("Receiver", code, "slow down")), (HttpStatusCode.OK, Published));
        using var client = Client(endpoint, maxErrorRetry: 4);

        var id = await client.PublishAsync(TopicArn, new SnsMessage("x", []), "orders.placed", TestContext.Current.CancellationToken);

        Assert.Equal("sns-1", id);
        Assert.Equal(3, endpoint.Requests.Count);
        Assert.Single(endpoint.Requests.Select(r => r.Body).Distinct());
    }

    [Fact]
    public async Task A_transient_answer_that_outlasts_the_retries_is_a_transient_typed_error_naming_the_topic()
    {
        await using var endpoint = new CapturingEndpoint();
        endpoint.Answer((HttpStatusCode.BadRequest, Error("Sender", "Throttling", "Rate exceeded")));
        using var client = Client(endpoint, maxErrorRetry: 2);

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => client.PublishAsync(TopicArn, new SnsMessage("x", []), "orders.placed", TestContext.Current.CancellationToken));

        Assert.Equal(3, endpoint.Requests.Count);
        Assert.True(error.IsTransient);
        Assert.Equal("Throttling", error.ErrorCode);
        Assert.Equal("orders.placed", error.Destination);
        Assert.Equal("Publish", error.Operation);
        Assert.Contains("orders.placed", error.Message, StringComparison.Ordinal);
        Assert.Contains("Rate exceeded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_authorization_error_is_not_retried_and_names_the_topic_and_code()
    {
        await using var endpoint = new CapturingEndpoint();
        endpoint.Answer((HttpStatusCode.Forbidden, Error("Sender", "AuthorizationError", "User is not authorized to perform: SNS:Publish")));
        using var client = Client(endpoint, maxErrorRetry: 4);

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => client.PublishAsync(TopicArn, new SnsMessage("x", []), "orders.placed", TestContext.Current.CancellationToken));

        Assert.Single(endpoint.Requests);
        Assert.False(error.IsTransient);
        Assert.Equal("AuthorizationError", error.ErrorCode);
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("orders.placed", error.Destination);
    }

    [Fact]
    public async Task A_missing_topic_is_a_destination_not_found_error()
    {
        await using var endpoint = new CapturingEndpoint();
        endpoint.Answer((HttpStatusCode.NotFound, Error("Sender", "NotFound", "Topic does not exist")));
        using var client = Client(endpoint, maxErrorRetry: 4);

        var error = await Assert.ThrowsAsync<AwsDestinationNotFoundException>(() => client.PublishAsync(TopicArn, new SnsMessage("x", []), "orders.placed", TestContext.Current.CancellationToken));

        Assert.Single(endpoint.Requests);
        Assert.Equal("NotFound", error.ErrorCode);
        Assert.Equal("orders.placed", error.Destination);
    }

    [Fact]
    public async Task No_answer_at_all_is_retried_then_a_transient_error()
    {
        // A port nothing listens on.
        var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var client = new SnsQueryClient(new BasicAWSCredentials("AKIDEXAMPLE", "SECRETEXAMPLE"), RegionEndpoint.USEast1, new Uri($"http://127.0.0.1:{port}/"), maxErrorRetry: 2);

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => client.PublishAsync(TopicArn, new SnsMessage("x", []), "orders.placed", TestContext.Current.CancellationToken));

        Assert.True(error.IsTransient);
        Assert.Equal("", error.ErrorCode);
        Assert.Contains("3 attempt(s)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_reports_the_entries_SNS_refused_by_index()
    {
        await using var endpoint = new CapturingEndpoint();
        endpoint.Answer((HttpStatusCode.OK, """
            <PublishBatchResponse><PublishBatchResult>
              <Successful><member><Id>0</Id><MessageId>a</MessageId></member></Successful>
              <Failed><member><Id>1</Id><Code>InternalError</Code><Message>try again</Message><SenderFault>false</SenderFault></member>
                      <member><Id>2</Id><Code>InvalidParameter</Code><Message>bad attribute</Message><SenderFault>true</SenderFault></member></Failed>
            </PublishBatchResult></PublishBatchResponse>
            """));
        using var client = Client(endpoint, maxErrorRetry: 0);

        var failures = await client.PublishBatchAsync(TopicArn, [new SnsMessage("a", []), new SnsMessage("b", []), new SnsMessage("c", [])], "orders.placed", TestContext.Current.CancellationToken);

        Assert.Equal([new SnsBatchFailure(1, "InternalError", "try again", false), new SnsBatchFailure(2, "InvalidParameter", "bad attribute", true)], failures);
    }

    [Fact]
    public void Backoff_waits_a_random_time_under_an_exponential_bound()
    {
        var random = new Random(42);
        for (var retry = 1; retry <= 10; retry++)
        {
            var bound = Math.Min(RetryBackoff.Cap.TotalMilliseconds, RetryBackoff.Base.TotalMilliseconds * Math.Pow(2, retry - 1));
            var waits = Enumerable.Range(0, 50).Select(_ => RetryBackoff.Delay(retry, random).TotalMilliseconds).ToList();
            Assert.All(waits, w => Assert.InRange(w, 0, bound));
            Assert.True(waits.Distinct().Count() > 40, $"retry {retry}: the waits should be jittered, got {waits.Distinct().Count()} distinct values of 50");
        }
    }

    private static SnsQueryClient Client(CapturingEndpoint endpoint, int maxErrorRetry) =>
        new(new BasicAWSCredentials("AKIDEXAMPLE", "SECRETEXAMPLE"), RegionEndpoint.USEast1, endpoint.Uri, maxErrorRetry);
}

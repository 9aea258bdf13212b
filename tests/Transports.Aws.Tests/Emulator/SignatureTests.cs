using System.Collections.Concurrent;
using Amazon;
using Amazon.Runtime;
using Amazon.SQS;
using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Tests.Support;

namespace Messaging.Adapters.Aws.Tests.Emulator;

/// <summary>
/// Every request the transport makes, SQS's (AWSSDK.SQS) and SNS's (its own client), carries a SigV4 signature that a
/// verifier in front of the emulator accepts; a request signed with the wrong secret is refused as AWS refuses it, and
/// surfaces as a typed error naming the topic or queue.
/// </summary>
public sealed class SignatureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_request_of_a_publish_subscribe_send_consume_and_dead_letter_round_is_correctly_signed()
    {
        _ = EmulatorTransport.RunId;
        await using var proxy = new SigV4VerifyingProxy(EmulatorTransport.Endpoint, Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID")!, Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY")!);
        await using var transport = EmulatorTransport.Create(o => o.ServiceUrl = proxy.Uri);
        var topic = EmulatorTransport.UniqueName("signed");
        var queue = EmulatorTransport.UniqueName("signed");
        try
        {
            var handled = new ConcurrentDictionary<string, byte>();
            var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            MessageHandler handler = (m, _) =>
            {
                if (m.Envelope.Type == "fail")
                {
                    throw new DeadLetterException("signed dead letter");
                }

                handled[m.Envelope.Id] = 0;
                if (handled.Count == 3)
                {
                    all.TrySetResult();
                }

                return ValueTask.CompletedTask;
            };
            await using var subscriber = await transport.Subscriber.SubscribeAsync(topic, "audit", handler, new SubscriptionOptions { Filter = SubscriptionFilter.ForTypes("ok") }, Ct);
            await using var consumer = await transport.Queue.ConsumeAsync(queue, handler, null, Ct);
            await transport.Publisher.PublishAsync(topic, new Envelope("ok", "1"u8.ToArray()), Ct);
            await transport.Publisher.PublishBatchAsync(topic, [new Envelope("ok", "2"u8.ToArray()), new Envelope("skipped", "x"u8.ToArray())], Ct);
            await transport.Queue.SendBatchAsync(queue, [new Envelope("ok", "3"u8.ToArray()), new Envelope("fail", "4"u8.ToArray())], Ct);
            await all.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            await Task.Delay(500, Ct);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.ForSubscription(topic, "audit"), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Topic(topic), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }

        var operations = proxy.Verified.Select(o => o.Replace("AmazonSQS.", "", StringComparison.Ordinal).Replace("Action=", "", StringComparison.Ordinal)).ToHashSet();
        TestContext.Current.TestOutputHelper?.WriteLine($"verified {proxy.Verified.Count} requests: {string.Join(", ", operations.Order(StringComparer.Ordinal))}");
        Assert.Empty(proxy.Refused);
        Assert.Superset(new HashSet<string> { "CreateTopic", "Subscribe", "Publish", "PublishBatch", "CreateQueue", "SendMessageBatch", "ReceiveMessage", "DeleteMessageBatch", "SendMessage", "DeleteTopic", "DeleteQueue" }, operations);
    }

    [Fact]
    public async Task A_request_signed_with_the_wrong_secret_is_refused_and_named()
    {
        _ = EmulatorTransport.RunId;
        await using var proxy = new SigV4VerifyingProxy(EmulatorTransport.Endpoint, Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID")!, Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY")!);
        var wrong = new BasicAWSCredentials(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"), "not-the-secret");
        using var sqs = new AmazonSQSClient(wrong, new AmazonSQSConfig { ServiceURL = proxy.Uri.ToString(), AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        using var sns = new SnsQueryClient(wrong, RegionEndpoint.USEast1, proxy.Uri, maxErrorRetry: 0);
        await using var transport = new AwsTransport(new AwsTransportOptions(), sqs: sqs, sns: sns);

        var publish = await Assert.ThrowsAsync<AwsServiceException>(() => transport.Publisher.PublishAsync("signed-topic", new Envelope("t", "b"u8.ToArray()), Ct).AsTask());
        var send = await Assert.ThrowsAsync<AwsServiceException>(() => transport.Queue.SendAsync("signed-queue", new Envelope("t", "b"u8.ToArray()), Ct).AsTask());

        Assert.Equal("SignatureDoesNotMatch", publish.ErrorCode);
        Assert.Equal("signed-topic", publish.Destination);
        Assert.Equal("SignatureDoesNotMatch", send.ErrorCode);
        Assert.StartsWith("signed-queue", send.Destination, StringComparison.Ordinal);
        Assert.False(publish.IsTransient);
        Assert.Empty(proxy.Verified);
        Assert.Equal(2, proxy.Refused.Count);
    }
}

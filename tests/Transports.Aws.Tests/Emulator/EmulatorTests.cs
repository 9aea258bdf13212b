using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.SQS.Model;
using Messaging.Adapters.Aws.Tests.Support;

namespace Messaging.Adapters.Aws.Tests.Emulator;

/// <summary>
/// What the conformance suite cannot see from the contract: SNS itself drops what a subscription's filter rejects (the
/// queue never holds it), and third-party clients (<c>@aws-sdk/client-sqs</c>) read what the transport sends, CloudEvents
/// attributes included, and write what it handles.
/// </summary>
public sealed class EmulatorTests
{
    private static readonly string[] AllAttributes = ["All"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SNS_drops_what_the_filter_rejects_before_it_reaches_the_subscription_queue()
    {
        await using var transport = EmulatorTransport.Create();
        var topic = EmulatorTransport.UniqueName("filtered");
        var subscription = "eu-orders";
        var filter = new SubscriptionFilter { MessageTypes = ["order.placed"], Headers = new Dictionary<string, string> { ["region"] = "eu" } };
        try
        {
            await transport.Topology.EnsureAsync(Destination.ForSubscription(topic, subscription, filter), Ct);
            var kept = new Envelope("order.placed", "1"u8.ToArray()).WithHeader("region", "eu");
            await transport.Publisher.PublishBatchAsync(topic,
            [
                kept,
                new Envelope("order.placed", "2"u8.ToArray()).WithHeader("region", "us"),
                new Envelope("order.cancelled", "3"u8.ToArray()).WithHeader("region", "eu"),
                new Envelope("order.placed", "4"u8.ToArray()),
            ], Ct);

            // Read the subscription's queue with the raw SQS client, no consumer and no consumer-side filter in between.
            var url = (await transport.Sqs.GetQueueUrlAsync(Topology.AwsNames.Physical(DestinationNames.SubscriptionQueue(topic, subscription)), Ct)).QueueUrl;
            var received = new List<Message>();
            for (var i = 0; i < 3 && received.Count < 4; i++)
            {
                var response = await transport.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MaxNumberOfMessages = 10, WaitTimeSeconds = 1, MessageAttributeNames = ["All"] }, Ct);
                received.AddRange(response.Messages ?? []);
            }

            Assert.Equal([kept.Id], received.Select(m => m.MessageAttributes["ce-id"].StringValue));
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.ForSubscription(topic, subscription), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Topic(topic), CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_official_JavaScript_SDK_reads_every_CloudEvents_attribute_of_what_the_transport_sent()
    {
        await using var transport = EmulatorTransport.Create();
        var queue = EmulatorTransport.UniqueName("interop-out");
        try
        {
            var sent = new Envelope("order.placed", Encoding.UTF8.GetBytes("{\"order\":\"1001\"}"))
            {
                ContentType = "application/json",
                Key = "1001",
                CorrelationId = "corr-1",
                Headers = new Dictionary<string, string> { ["tenant"] = "acme" },
            };
            await transport.Queue.SendAsync(queue, sent, Ct);
            var url = (await transport.Sqs.GetQueueUrlAsync(Topology.AwsNames.Physical(queue), Ct)).QueueUrl;

            var results = await AwsSdkForJavaScript.CallAsync(EmulatorTransport.Endpoint,
                [("sqs", "ReceiveMessageCommand", new { QueueUrl = url, MaxNumberOfMessages = 10, WaitTimeSeconds = 5, MessageAttributeNames = AllAttributes })], Ct);

            Assert.True(results[0]["ok"]!.GetValue<bool>(), results[0].ToJsonString());
            var message = Assert.Single(results[0]["output"]!["Messages"]!.AsArray())!;
            var attributes = message["MessageAttributes"]!.AsObject().ToDictionary(a => a.Key, a => a.Value!["StringValue"]!.GetValue<string>());
            Assert.Equal("{\"order\":\"1001\"}", message["Body"]!.GetValue<string>());
            Assert.Equal("1.0", attributes["ce-specversion"]);
            Assert.Equal(sent.Id, attributes["ce-id"]);
            Assert.Equal("order.placed", attributes["ce-type"]);
            Assert.Equal("/messaging-adapters", attributes["ce-source"]);
            Assert.Equal(sent.Timestamp, DateTimeOffset.Parse(attributes["ce-time"], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("application/json", attributes["ce-datacontenttype"]);
            Assert.Equal("1001", attributes["ce-partitionkey"]);
            Assert.Equal("corr-1", attributes["ce-correlationid"]);
            Assert.Equal("acme", attributes["tenant"]);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_message_sent_by_the_official_JavaScript_SDK_is_handled_by_the_transport()
    {
        await using var transport = EmulatorTransport.Create();
        var queue = EmulatorTransport.UniqueName("interop-in");
        try
        {
            await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
            var url = (await transport.Sqs.GetQueueUrlAsync(Topology.AwsNames.Physical(queue), Ct)).QueueUrl;
            var received = new ConcurrentQueue<ReceivedMessage>();
            var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var consumer = await transport.Queue.ConsumeAsync(queue, (m, _) =>
            {
                received.Enqueue(m);
                arrived.TrySetResult();
                return ValueTask.CompletedTask;
            }, null, Ct);

            var results = await AwsSdkForJavaScript.CallAsync(EmulatorTransport.Endpoint,
            [
                ("sqs", "SendMessageCommand", new
                {
                    QueueUrl = url,
                    MessageBody = "plain text from another client",
                    MessageAttributes = new Dictionary<string, object> { ["tenant"] = new { DataType = "String", StringValue = "acme" } },
                }),
            ], Ct);
            Assert.True(results[0]["ok"]!.GetValue<bool>(), results[0].ToJsonString());
            var sqsMessageId = results[0]["output"]!["MessageId"]!.GetValue<string>();

            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            var message = Assert.Single(received);
            Assert.Equal(sqsMessageId, message.Envelope.Id);
            Assert.Equal("aws.sqs.message", message.Envelope.Type);
            Assert.Equal("plain text from another client", Encoding.UTF8.GetString(message.Envelope.Body.Span));
            Assert.Equal("acme", message.Envelope.Headers["tenant"]);
            Assert.Equal(1, message.DeliveryCount);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_batch_over_ten_entries_is_refused_before_any_request_though_the_emulator_would_take_it()
    {
        var requests = 0;
        await using var transport = EmulatorTransport.Create(intercept: (method, args, real) =>
        {
            Interlocked.Increment(ref requests);
            return real();
        });
        var messages = Enumerable.Range(0, 11).Select(i => new Envelope("t", "m"u8.ToArray())).ToList();

        var error = await Assert.ThrowsAsync<BatchTooLargeException>(() => transport.Queue.SendBatchAsync(EmulatorTransport.UniqueName("eleven"), messages, Ct).AsTask());

        Assert.Equal(nameof(TransportCapabilities.MaxBatchEntries), error.Capability);
        Assert.Equal(10, error.Limit);
        Assert.Equal(0, requests);
    }

    [Fact]
    public async Task A_message_taken_by_the_long_poll_of_a_stopped_consumer_is_handed_back_at_once()
    {
        await using var transport = EmulatorTransport.Create(o => o.VisibilityTimeout = TimeSpan.FromSeconds(60));
        var queue = EmulatorTransport.UniqueName("abandoned-poll");
        try
        {
            // Stopped while its 20 s long poll waits on SQS's side: SQS still hands that poll the next message.
            var stopped = await transport.Queue.ConsumeAsync(queue, (_, _) => ValueTask.CompletedTask, null, Ct);
            await Task.Delay(500, Ct);
            await stopped.DisposeAsync();

            var handled = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            var message = new Envelope("t", "m"u8.ToArray());
            await transport.Queue.SendAsync(queue, message, Ct);
            await Task.Delay(500, Ct);
            await using var running = await transport.Queue.ConsumeAsync(queue, (m, _) => { handled.TrySetResult(m); return ValueTask.CompletedTask; }, null, Ct);

            // Well before the 60 s visibility timeout: the abandoned poll's message was made visible again.
            var received = await handled.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            Assert.Equal(message.Id, received.Envelope.Id);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Deleting_a_subscription_of_a_topic_that_does_not_exist_creates_no_topic()
    {
        await using var transport = EmulatorTransport.Create();
        var topic = EmulatorTransport.UniqueName("never");

        await transport.Topology.DeleteAsync(Destination.ForSubscription(topic, "audit"), Ct);
        await transport.Topology.DeleteAsync(Destination.ForSubscription(topic, "audit"), Ct);

        var results = await AwsSdkForJavaScript.CallAsync(EmulatorTransport.Endpoint, [("sns", "ListTopicsCommand", new { })], Ct);
        Assert.True(results[0]["ok"]!.GetValue<bool>(), results[0].ToJsonString());
        Assert.DoesNotContain(results[0]["output"]!["Topics"]?.AsArray() ?? [], t => t!["TopicArn"]!.GetValue<string>().EndsWith(":" + topic, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_released_by_a_stop_comes_back_as_the_same_attempt_with_the_receive_counted()
    {
        await using var transport = EmulatorTransport.Create();
        var queue = EmulatorTransport.UniqueName("released");
        try
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var stopped = await transport.Queue.ConsumeAsync(queue, async (_, ct) =>
            {
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }, new ConsumerOptions { Retry = new RetryPolicy { ImmediateRetries = 2 } }, Ct);
            var message = new Envelope("t", "m"u8.ToArray());
            await transport.Queue.SendAsync(queue, message, Ct);
            await started.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            await stopped.DisposeAsync();

            var handled = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var running = await transport.Queue.ConsumeAsync(queue, (m, _) => { handled.TrySetResult(m); return ValueTask.CompletedTask; }, null, Ct);
            var again = await handled.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

            // The cancelled handling made no attempt: still attempt 1, though SQS counts more receives (the stopped
            // consumer's abandoned long poll may have taken it once more before handing it back).
            Assert.Equal(message.Id, again.Envelope.Id);
            Assert.Equal(1, again.Attempt);
            Assert.InRange(again.DeliveryCount ?? 0, 2, 3);
            Assert.True(again.Redelivered);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }
}

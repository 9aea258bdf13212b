using System.Collections.Concurrent;
using System.Text;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Envelopes;
using Messaging.Adapters.Aws.Tests.Support;
using Messaging.Adapters.Aws.Topology;

namespace Messaging.Adapters.Aws.Tests.Emulator;

/// <summary>
/// Topics on an EventBridge bus (<c>Messaging:Aws:EventBus</c>): the events the transport puts, the rules and targets
/// it makes for subscriptions, and its consumers reading what the rules deliver, with EventBridge's documented routing
/// played by <see cref="RoutingEventBridge"/> in front of the emulator's SQS (no EventBridge emulator exists here).
/// </summary>
public sealed class EventBusTests
{
    private const string Bus = "orders-bus";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Subscriptions_on_a_bus_get_exactly_what_their_rules_select_with_every_field()
    {
        _ = EmulatorTransport.RunId;
        using var sqs = RawSqs();
        var events = new RoutingEventBridge(sqs);
        await using var transport = new AwsTransport(new AwsTransportOptions { EventBus = Bus }, sqs: sqs, sns: new UnusedSns(), eventBridge: events);
        var topic = EmulatorTransport.UniqueName("bus-orders");
        var eu = new ConcurrentDictionary<string, ReceivedMessage>();
        var all = new ConcurrentDictionary<string, ReceivedMessage>();
        try
        {
            await using var euConsumer = await transport.Subscriber.SubscribeAsync(topic, "eu", Record(eu), new SubscriptionOptions { Filter = new SubscriptionFilter { MessageTypes = ["order.placed"], Headers = new Dictionary<string, string> { ["region"] = "eu" } } }, Ct);
            await using var allConsumer = await transport.Subscriber.SubscribeAsync(topic, "all", Record(all), null, Ct);

            var placedEu = new Envelope("order.placed", "{\"order\":1}"u8.ToArray()) { ContentType = "application/json", Key = "1", CorrelationId = "c-1" }.WithHeader("region", "eu");
            var placedUs = new Envelope("order.placed", "{\"order\":2}"u8.ToArray()).WithHeader("region", "us");
            var binary = new Envelope("order.cancelled", new byte[] { 0, 1, 2, 255 }).WithHeader("region", "eu");
            await transport.Publisher.PublishAsync(topic, placedEu, Ct);
            await transport.Publisher.PublishBatchAsync(topic, [placedUs, binary], Ct);

            await WaitAsync(() => all.Count == 3 && eu.Count == 1);
            await Task.Delay(500, Ct);

            Assert.Equal([placedEu.Id], eu.Keys);
            Assert.Equal(new[] { placedEu.Id, placedUs.Id, binary.Id }.Order(), all.Keys.Order());
            var received = eu[placedEu.Id];
            Assert.Equal("order.placed", received.Envelope.Type);
            Assert.Equal("{\"order\":1}", Encoding.UTF8.GetString(received.Envelope.Body.Span));
            Assert.Equal("application/json", received.Envelope.ContentType);
            Assert.Equal("1", received.Envelope.Key);
            Assert.Equal("c-1", received.Envelope.CorrelationId);
            Assert.Equal(placedEu.Timestamp, received.Envelope.Timestamp);
            Assert.Equal("eu", received.Envelope.Headers["region"]);
            Assert.Equal(topic, received.Topic);
            Assert.Equal(new byte[] { 0, 1, 2, 255 }, all[binary.Id].Envelope.Body.ToArray());

            var rule = events.Rules[TopologyProvisioner.RuleName(topic, "eu")];
            Assert.Equal(EventBridgeEvents.Pattern(topic, new SubscriptionFilter { MessageTypes = ["order.placed"], Headers = new Dictionary<string, string> { ["region"] = "eu" } }, "messaging.adapters"), rule.Pattern);
            Assert.Equal("$.detail", rule.InputPath);
            Assert.EndsWith(":" + AwsNames.Physical(DestinationNames.SubscriptionQueue(topic, "eu")), rule.TargetArn, StringComparison.Ordinal);
            Assert.All(events.Events, e => Assert.Equal(Bus, e.EventBusName));
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.ForSubscription(topic, "eu"), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.ForSubscription(topic, "all"), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Topic(topic), CancellationToken.None);
        }

        Assert.Empty(events.Rules);
    }

    [Fact]
    public async Task A_FIFO_topic_is_refused_on_a_bus_and_an_oversized_event_before_anything_is_put()
    {
        _ = EmulatorTransport.RunId;
        using var sqs = RawSqs();
        var events = new RoutingEventBridge(sqs);
        await using var transport = new AwsTransport(new AwsTransportOptions { EventBus = Bus, MaxMessageSize = AwsTransportOptions.MaxMessageSizeLimit }, sqs: sqs, sns: new UnusedSns(), eventBridge: events);

        await Assert.ThrowsAsync<ArgumentException>(() => transport.Publisher.PublishAsync("prices.fifo", new Envelope("t", "b"u8.ToArray()), Ct).AsTask());
        var tooLarge = new Envelope("t", new byte[transport.Capabilities.MaxMessageSize + 1]);
        await Assert.ThrowsAsync<MessageTooLargeException>(() => transport.Publisher.PublishAsync("orders", tooLarge, Ct).AsTask());
        Assert.Equal(((256 * 1024) - (8 * 1024)) / 4 * 3, transport.Capabilities.MaxMessageSize);
        Assert.Empty(events.Events);
    }

    [Fact]
    public void A_CloudEvents_structured_body_without_attributes_is_read_as_that_event()
    {
        var sent = new Envelope("order.placed", "{\"order\":1}"u8.ToArray()) { ReplyTo = "replies", CausationId = "k" }.WithHeader("tenant", "acme");
        var entry = EventBridgeEvents.ToEntry(sent, "orders", Bus, "messaging.adapters");

        var received = SqsEnvelope.FromSqs(new Message { MessageId = "sqs-id", Body = entry.Detail, Attributes = [] });

        Assert.Equal(sent.Id, received.Id);
        Assert.Equal(sent.Type, received.Type);
        Assert.Equal(sent.Body.ToArray(), received.Body.ToArray());
        Assert.Equal("replies", received.ReplyTo);
        Assert.Equal("k", received.CausationId);
        Assert.Equal("acme", received.Headers["tenant"]);
        Assert.Equal(SqsEnvelope.ForeignType, SqsEnvelope.FromSqs(new Message { MessageId = "m", Body = "{\"order\":1}" }).Type);
    }

    private static AmazonSQSClient RawSqs()
    {
        var settings = AwsClientSettings.Resolve(new AwsTransportOptions());
        return new AmazonSQSClient(settings.Credentials, settings.SqsConfig(new AwsTransportOptions()));
    }

    private static MessageHandler Record(ConcurrentDictionary<string, ReceivedMessage> into) => (m, _) =>
    {
        into[m.Envelope.Id] = m;
        return ValueTask.CompletedTask;
    };

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>Topics are on the bus: nothing may reach SNS.</summary>
    private sealed class UnusedSns : ISnsClient
    {
        public Task<string> CreateTopicAsync(string name, IReadOnlyDictionary<string, string> attributes, string destination, CancellationToken cancellationToken) => throw Used();

        public Task DeleteTopicAsync(string topicArn, string destination, CancellationToken cancellationToken) => throw Used();

        public Task<string> SubscribeAsync(string topicArn, string protocol, string endpoint, IReadOnlyDictionary<string, string> attributes, string destination, CancellationToken cancellationToken) => throw Used();

        public Task SetSubscriptionAttributeAsync(string subscriptionArn, string name, string value, string destination, CancellationToken cancellationToken) => throw Used();

        public Task<IReadOnlyDictionary<string, string>> GetSubscriptionAttributesAsync(string subscriptionArn, string destination, CancellationToken cancellationToken) => throw Used();

        public Task UnsubscribeAsync(string subscriptionArn, string destination, CancellationToken cancellationToken) => throw Used();

        public Task<IReadOnlyList<SnsSubscription>> ListSubscriptionsByTopicAsync(string topicArn, string destination, CancellationToken cancellationToken) => throw Used();

        public Task<string> PublishAsync(string topicArn, SnsMessage message, string destination, CancellationToken cancellationToken) => throw Used();

        public Task<IReadOnlyList<SnsBatchFailure>> PublishBatchAsync(string topicArn, IReadOnlyList<SnsMessage> messages, string destination, CancellationToken cancellationToken) => throw Used();

        private static InvalidOperationException Used() => new("SNS was used although topics are on an EventBridge bus.");
    }
}

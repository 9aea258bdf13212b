using System.Collections.Concurrent;
using System.Text;
using Messaging.Adapters.RabbitMq.Tests.Support;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// One definition of a foreign message's type for the broker's binding, the consumer's filter check and the handler:
/// <c>cloudEvents:type</c> (what a headers exchange can match), else the AMQP <c>type</c> property.
/// </summary>
public sealed class ForeignTypeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_type_filtered_subscription_hands_its_handler_what_the_broker_routed_by_cloudEvents_type()
    {
        await using var transport = await TestBroker.ConnectAsync();
        var topic = TestBroker.UniqueName("foreign-type");
        var subscription = "invoices";
        var seen = new ConcurrentQueue<ReceivedMessage>();
        await using var consumer = await transport.Subscriber.SubscribeAsync(topic, subscription, (message, _) =>
        {
            seen.Enqueue(message);
            return ValueTask.CompletedTask;
        }, new SubscriptionOptions { Filter = SubscriptionFilter.ForTypes("billing.invoiced") }, Ct);
        try
        {
            await using var raw = await TestBroker.ConnectRawAsync();
            await using var channel = await raw.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), Ct);

            // The CloudEvents type matches the filter; the AMQP type property says something else.
            var properties = new BasicProperties
            {
                MessageId = "foreign-1",
                Type = "legacy.InvoiceCreated",
                Headers = new Dictionary<string, object?> { ["cloudEvents:type"] = "billing.invoiced", ["cloudEvents:source"] = "urn:billing" },
            };
            await channel.BasicPublishAsync(topic, string.Empty, mandatory: false, properties, Encoding.UTF8.GetBytes("{}"), Ct);

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (seen.IsEmpty && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, Ct);
            }

            var message = Assert.Single(seen);
            Assert.Equal("foreign-1", message.Envelope.Id);
            Assert.Equal("billing.invoiced", message.Envelope.Type);
            Assert.Equal("urn:billing", message.Envelope.Headers[CloudEventHeaders.Source]);
        }
        finally
        {
            await consumer.StopAsync(CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.ForSubscription(topic, subscription), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Topic(topic), CancellationToken.None);
        }
    }
}

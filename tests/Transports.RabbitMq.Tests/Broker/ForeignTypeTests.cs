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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_foreign_message_with_its_type_only_in_the_AMQP_type_property_reaches_a_type_filtered_subscription_when_the_consumer_filters(bool filterOnBroker)
    {
        await using var transport = await TestBroker.ConnectAsync(o => o.FilterOnBroker = filterOnBroker);
        var topic = TestBroker.UniqueName("amqp-type");
        var subscription = "invoices";
        var seen = new ConcurrentQueue<string>();
        await using var consumer = await transport.Subscriber.SubscribeAsync(topic, subscription, (message, _) =>
        {
            seen.Enqueue(message.Envelope.Id);
            return ValueTask.CompletedTask;
        }, new SubscriptionOptions { Filter = SubscriptionFilter.ForTypes("legacy.InvoiceCreated") }, Ct);
        try
        {
            Assert.Equal(filterOnBroker, transport.Capabilities.ServerSideFiltering);
            await using var raw = await TestBroker.ConnectRawAsync();
            await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
            foreach (var (id, type) in new[] { ("wanted-1", "legacy.InvoiceCreated"), ("other-1", "legacy.OrderShipped"), ("wanted-2", "legacy.InvoiceCreated") })
            {
                await channel.BasicPublishAsync(topic, string.Empty, mandatory: false, new BasicProperties { MessageId = id, Type = type }, "{}"u8.ToArray(), Ct);
            }

            // Ours, published after the foreign ones on the same topic: once it is handled, the foreign ones had their turn.
            var marker = new Envelope("legacy.InvoiceCreated", "{}"u8.ToArray());
            await transport.Publisher.PublishAsync(topic, marker, Ct);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (!seen.Contains(marker.Id) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, Ct);
            }

            // On the broker a headers exchange cannot see the AMQP type: the foreign messages never reach the queue.
            string[] expected = filterOnBroker ? [marker.Id] : ["wanted-1", "wanted-2", marker.Id];
            Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        }
        finally
        {
            await consumer.StopAsync(CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.ForSubscription(topic, subscription), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Topic(topic), CancellationToken.None);
        }
    }
}

using System.Text;
using Messaging.Adapters.RabbitMq.Tests.Support;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// The RabbitMQ-specific promises the conformance suite cannot see: confirms, clear errors for missing destinations,
/// conflicting declarations named with both argument sets, no credentials in any text, and the mapping onto the
/// broker's own entities.
/// </summary>
public sealed class GuaranteeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_completed_send_is_already_in_the_queue()
    {
        await using var transport = await TestBroker.ConnectAsync();
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        var queue = TestBroker.UniqueName("confirmed");
        try
        {
            for (var i = 0; i < 25; i++)
            {
                var message = new Envelope("tests.confirmed", Encoding.UTF8.GetBytes($"message {i}"));
                await transport.Queue.SendAsync(queue, message, Ct);

                // The send returned, so the broker confirmed it: it is in the queue now, not soon.
                var got = await channel.BasicGetAsync(queue, true, Ct);
                Assert.NotNull(got);
                Assert.Equal(message.Id, got.BasicProperties.MessageId);
                Assert.Equal(DeliveryModes.Persistent, got.BasicProperties.DeliveryMode);
            }
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_publish_the_broker_refuses_fails_and_names_the_message()
    {
        // A queue that takes one message and rejects the next publish (x-overflow: reject-publish) nacks it.
        await using var transport = await TestBroker.ConnectAsync(o => o.ProvisionOnFirstUse = false);
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        var queue = TestBroker.UniqueName("full");
        await channel.QueueDeclareAsync(queue, true, false, false, new Dictionary<string, object?> { ["x-queue-type"] = "classic", ["x-max-length"] = 1L, ["x-overflow"] = "reject-publish" }, cancellationToken: Ct);
        try
        {
            await transport.Queue.SendAsync(queue, new Envelope("tests.first", new byte[] { 1 }), Ct);
            var refused = new Envelope("tests.second", new byte[] { 2 });
            var error = await Assert.ThrowsAsync<TransportUnavailableException>(async () => await transport.Queue.SendAsync(queue, refused, Ct));
            Assert.Contains(refused.Id, error.Message, StringComparison.Ordinal);
            Assert.Contains("nack", error.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(1u, await channel.MessageCountAsync(queue, Ct));
        }
        finally
        {
            await channel.QueueDeleteAsync(queue, cancellationToken: CancellationToken.None);
        }
    }

    [Fact]
    public async Task Without_provisioning_a_send_to_a_missing_queue_fails_clearly_and_creates_nothing()
    {
        await using var transport = await TestBroker.ConnectAsync(o => o.ProvisionOnFirstUse = false);
        var queue = TestBroker.UniqueName("missing");
        var message = new Envelope("tests.lost", new byte[] { 1 });

        var error = await Assert.ThrowsAsync<RabbitMqDestinationNotFoundException>(async () => await transport.Queue.SendAsync(queue, message, Ct));

        Assert.Equal(queue, error.Destination);
        Assert.Equal(message.Id, error.MessageId);
        Assert.Contains($"queue '{queue}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("ProvisionOnFirstUse", error.Message, StringComparison.Ordinal);
        var batch = await Assert.ThrowsAsync<BatchPublishException>(async () => await transport.Queue.SendBatchAsync(queue, [message, new Envelope("tests.lost", new byte[] { 2 })], Ct));
        Assert.Equal(2, batch.UnconfirmedIds.Count);
        Assert.IsType<RabbitMqDestinationNotFoundException>(batch.InnerException);
        Assert.False(await QueueExistsAsync(queue), "A send with provisioning off must not create the queue.");
    }

    [Fact]
    public async Task Without_provisioning_missing_topics_streams_and_queues_to_consume_fail_clearly()
    {
        await using var transport = await TestBroker.ConnectAsync(o => o.ProvisionOnFirstUse = false);
        var name = TestBroker.UniqueName("missing");
        var message = new Envelope("tests.lost", new byte[] { 1 });

        var topic = await Assert.ThrowsAsync<RabbitMqDestinationNotFoundException>(async () => await transport.Publisher.PublishAsync(name, message, Ct));
        Assert.Contains($"topic '{name}'", topic.Message, StringComparison.Ordinal);
        var stream = await Assert.ThrowsAsync<RabbitMqDestinationNotFoundException>(async () => await transport.Stream.AppendAsync(name, message, Ct));
        Assert.Contains($"stream '{name}'", stream.Message, StringComparison.Ordinal);
        var consume = await Assert.ThrowsAsync<RabbitMqDestinationNotFoundException>(() => transport.Queue.ConsumeAsync(name, (_, _) => ValueTask.CompletedTask, null, Ct));
        Assert.Contains($"queue '{name}'", consume.Message, StringComparison.Ordinal);

        // The transport stays usable after the broker refused those.
        var queue = TestBroker.UniqueName("present");
        await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        await transport.Queue.SendAsync(queue, message, Ct);
        await transport.Topology.DeleteAsync(Destination.Queue(queue), Ct);
    }

    [Fact]
    public async Task A_conflicting_queue_declaration_names_the_queue_and_both_argument_sets()
    {
        await using var transport = await TestBroker.ConnectAsync();
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        var queue = TestBroker.UniqueName("conflict");
        await channel.QueueDeclareAsync(queue, true, false, false, new Dictionary<string, object?> { ["x-queue-type"] = "classic", ["x-max-length"] = 10L }, cancellationToken: Ct);
        try
        {
            var error = await Assert.ThrowsAsync<TopologyConflictException>(() => transport.Topology.EnsureAsync(Destination.Queue(queue), Ct));

            TestContext.Current.TestOutputHelper?.WriteLine(error.Message);
            Assert.Equal(queue, error.Destination);
            Assert.Contains("a queue in virtual host '/'", error.Existing, StringComparison.Ordinal);
            Assert.Contains("x-queue-type='classic'", error.Existing, StringComparison.Ordinal);
            Assert.Contains("x-max-length=10", error.Existing, StringComparison.Ordinal);
            Assert.DoesNotContain("x-dead-letter-exchange", error.Existing, StringComparison.Ordinal);
            Assert.Contains("x-queue-type='quorum'", error.Requested, StringComparison.Ordinal);
            Assert.Contains("x-dead-letter-exchange='messaging.dead-letter'", error.Requested, StringComparison.Ordinal);

            // Sending provisions the same way and fails the same way; the transport stays usable for other queues.
            await Assert.ThrowsAsync<TopologyConflictException>(async () => await transport.Queue.SendAsync(queue, new Envelope("tests.conflict", new byte[] { 1 }), Ct));
            var other = TestBroker.UniqueName("fine");
            await transport.Queue.SendAsync(other, new Envelope("tests.fine", new byte[] { 1 }), Ct);
            await transport.Topology.DeleteAsync(Destination.Queue(other), Ct);
        }
        finally
        {
            await channel.QueueDeleteAsync(queue, cancellationToken: CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_conflicting_topic_exchange_names_the_exchange_and_both_definitions()
    {
        await using var transport = await TestBroker.ConnectAsync();
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        var topic = TestBroker.UniqueName("conflict");
        await channel.ExchangeDeclareAsync(topic, ExchangeType.Fanout, durable: true, cancellationToken: Ct);
        try
        {
            var error = await Assert.ThrowsAsync<TopologyConflictException>(() => transport.Topology.EnsureAsync(Destination.Topic(topic), Ct));

            Assert.Equal(topic, error.Destination);
            Assert.Contains("an exchange", error.Message, StringComparison.Ordinal);
            Assert.Contains("type='fanout'", error.Existing, StringComparison.Ordinal);
            Assert.Contains("type='headers'", error.Requested, StringComparison.Ordinal);
        }
        finally
        {
            await channel.ExchangeDeleteAsync(topic, cancellationToken: CancellationToken.None);
        }
    }

    [Fact]
    public async Task Credentials_appear_in_no_exception_log_or_description()
    {
        const string secret = "n0t-the-Passw0rd-7c41";
        var uri = new UriBuilder(TestBroker.Uri) { UserName = "guest", Password = secret }.Uri;
        using var logs = new RecordingLoggerProvider();
        using (var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)))
        {
            var options = TestBroker.Options(o => o.Uri = uri);
            options.Tls.ClientCertificatePassphrase = secret;
            await using var transport = new RabbitMqTransport(options, loggerFactory: loggerFactory);

            var error = await Assert.ThrowsAsync<TransportUnavailableException>(() => transport.ConnectAsync(Ct));
            var send = await Assert.ThrowsAnyAsync<Exception>(async () => await transport.Queue.SendAsync("anywhere", new Envelope("tests.secret", new byte[] { 1 }), Ct));

            var texts = new List<string> { error.ToString(), send.ToString(), transport.Endpoint, options.ToString(), options.Tls.ToString() };
            texts.AddRange(logs.Lines);
            Assert.All(texts, text => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
            Assert.Contains("guest:***@", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_connection_error_names_the_application_key_and_no_test_variable()
    {
        var options = TestBroker.Options(o => o.Uri = new UriBuilder(TestBroker.Uri) { UserName = "guest", Password = "not-the-password" }.Uri);
        await using var transport = new RabbitMqTransport(options);

        var error = await Assert.ThrowsAsync<TransportUnavailableException>(() => transport.ConnectAsync(Ct));

        // An application configures Messaging:RabbitMq:Uri; the tests' environment variable means nothing to it.
        Assert.Contains("Messaging:RabbitMq:Uri", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(RabbitMqTransportOptions.UriEnvironmentVariable, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_the_broker_dead_letters_itself_lands_in_the_same_dead_letter_queue()
    {
        await using var transport = await TestBroker.ConnectAsync();
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        var queue = TestBroker.UniqueName("rejected");
        var message = new Envelope("tests.rejected", new byte[] { 7 });
        try
        {
            await transport.Queue.SendAsync(queue, message, Ct);
            var got = await channel.BasicGetAsync(queue, false, Ct);
            Assert.NotNull(got);
            await channel.BasicRejectAsync(got.DeliveryTag, requeue: false, Ct);

            var deadLetter = Assert.Single(await ReceiveExactlyAsync(channel, DestinationNames.DeadLetterQueue(queue), 1));
            Assert.Equal(message.Id, deadLetter.BasicProperties.MessageId);
            Assert.Equal("rejected", Encoding.UTF8.GetString((byte[])deadLetter.BasicProperties.Headers!["x-first-death-reason"]!));
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Filters_are_bindings_of_the_topic_headers_exchange()
    {
        await using var transport = await TestBroker.ConnectAsync();
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        var topic = TestBroker.UniqueName("filtered");
        var filter = new SubscriptionFilter { MessageTypes = ["order.placed"], Headers = new Dictionary<string, string> { ["region"] = "eu" } };
        await transport.Topology.EnsureAsync(Destination.ForSubscription(topic, "eu", filter), Ct);
        try
        {
            await transport.Publisher.PublishBatchAsync(topic, [
                new Envelope("order.placed", new byte[] { 1 }).WithHeader("region", "eu"),
                new Envelope("order.placed", new byte[] { 2 }).WithHeader("region", "us"),
                new Envelope("order.cancelled", new byte[] { 3 }).WithHeader("region", "eu"),
            ], Ct);

            // The broker kept only the match in the subscription's queue: unmatched messages never reach a consumer.
            var queue = DestinationNames.SubscriptionQueue(topic, "eu");
            var kept = Assert.Single(await ReceiveExactlyAsync(channel, queue, 1));
            Assert.Equal(new byte[] { 1 }, kept.Body.ToArray());
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.ForSubscription(topic, "eu"), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Topic(topic), CancellationToken.None);
        }
    }

    private static async Task<bool> QueueExistsAsync(string queue)
    {
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        try
        {
            await channel.QueueDeclarePassiveAsync(queue, Ct);
            return true;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
    }

    /// <summary>Consumes a queue until <paramref name="count"/> messages arrived, then watches a quiet period to be
    /// sure that nothing more does.</summary>
    private static async Task<List<BasicDeliverEventArgs>> ReceiveExactlyAsync(IChannel channel, string queue, int count)
    {
        var received = new List<BasicDeliverEventArgs>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, args) =>
        {
            lock (received)
            {
                received.Add(new BasicDeliverEventArgs(args.ConsumerTag, args.DeliveryTag, args.Redelivered, args.Exchange, args.RoutingKey, args.BasicProperties, args.Body.ToArray(), CancellationToken.None));
                if (received.Count >= count)
                {
                    enough.TrySetResult();
                }
            }

            return Task.CompletedTask;
        };
        var tag = await channel.BasicConsumeAsync(queue, true, consumer, Ct);
        await enough.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);
        await channel.BasicCancelAsync(tag, cancellationToken: Ct);
        lock (received)
        {
            Assert.Equal(count, received.Count);
            return [.. received];
        }
    }
}

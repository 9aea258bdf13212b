using System.Text;
using Messaging.Adapters.RabbitMq.Tests.Support;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// What other CloudEvents consumers read from us: a <c>source</c> that names the application and is a valid
/// URI-reference whatever the client name, and a foreign event's own <c>source</c> kept when we send it on.
/// </summary>
public sealed class OutgoingCloudEventsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("order service #1", "/order%20service%20%231")]
    [InlineData(null, "/Messaging.Adapters.RabbitMq.Tests")]
    public async Task The_source_names_the_application_and_is_always_a_valid_URI_reference(string? clientName, string expected)
    {
        var source = await PublishAndReadSourceAsync(o => o.ClientName = clientName, new Envelope("tests.source", "{}"u8.ToArray()));

        Assert.Equal(expected, source);
        Assert.True(Uri.IsWellFormedUriString(source, UriKind.RelativeOrAbsolute), $"'{source}' is not a URI-reference.");
    }

    [Fact]
    public async Task A_message_that_carries_its_own_source_keeps_it()
    {
        var message = new Envelope("tests.source", "{}"u8.ToArray()).WithHeader(CloudEventHeaders.Source, "urn:billing");

        Assert.Equal("urn:billing", await PublishAndReadSourceAsync(null, message));
    }

    [Fact]
    public async Task The_client_librarys_own_sequence_header_does_not_reach_the_subscribers_of_a_topic()
    {
        await using var transport = await TestBroker.ConnectAsync();
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        var topic = TestBroker.UniqueName("no-seq-topic");
        try
        {
            await transport.Topology.EnsureAsync(Destination.ForSubscription(topic, "sub"), Ct);
            await transport.Publisher.PublishAsync(topic, new Envelope("tests.seq", "{}"u8.ToArray()).WithHeader("mine", "kept"), Ct);

            var got = await channel.BasicGetAsync(DestinationNames.SubscriptionQueue(topic, "sub"), true, Ct);

            Assert.NotNull(got);
            Assert.DoesNotContain("x-dotnet-pub-seq-no", got.BasicProperties.Headers!.Keys);
            Assert.Contains("mine", got.BasicProperties.Headers.Keys);
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.ForSubscription(topic, "sub"), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Topic(topic), CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_client_librarys_own_sequence_header_is_on_no_message_sent_to_a_queue_nor_on_its_dead_letter()
    {
        await using var transport = await TestBroker.ConnectAsync();
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        var queue = TestBroker.UniqueName("no-seq-queue");
        var other = TestBroker.UniqueName("no-seq-batch");
        try
        {
            // A mandatory send, a mandatory batch, and a dead letter (published by the consumer): none carries it.
            await transport.Queue.SendBatchAsync(other, [new Envelope("tests.seq", "{}"u8.ToArray()), new Envelope("tests.seq", "{}"u8.ToArray())], Ct);
            var failing = new Envelope("tests.seq", "{}"u8.ToArray());
            await using (var consumer = await transport.Queue.ConsumeAsync(queue, (_, _) => throw new DeadLetterException("tests: set aside"), null, Ct))
            {
                await transport.Queue.SendAsync(queue, failing, Ct);
                var letter = await TestBroker.GetOneAsync(channel, DestinationNames.DeadLetterQueue(queue), Ct);
                Assert.Equal(failing.Id, letter.BasicProperties.MessageId);
                Assert.DoesNotContain("x-dotnet-pub-seq-no", letter.BasicProperties.Headers!.Keys);
            }

            for (var i = 0; i < 2; i++)
            {
                var sent = await TestBroker.GetOneAsync(channel, other, Ct);
                Assert.DoesNotContain("x-dotnet-pub-seq-no", sent.BasicProperties.Headers!.Keys);
            }
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
            await transport.Topology.DeleteAsync(Destination.Queue(other), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Returns_are_matched_to_their_own_publishes_when_routable_and_unroutable_sends_share_the_channels()
    {
        // Without the client's sequence header the transport matches a basic.return by message id: under concurrency
        // exactly the sends to the missing queue fail, naming their own message, and every other send is confirmed.
        await using var transport = await TestBroker.ConnectAsync(o => o.ProvisionOnFirstUse = false);
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        var queue = TestBroker.UniqueName("routable");
        var missing = TestBroker.UniqueName("missing");
        await transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);
        try
        {
            var sends = Enumerable.Range(0, 200).Select(async i =>
            {
                var message = new Envelope("tests.mixed", new byte[] { (byte)i });
                try
                {
                    await transport.Queue.SendAsync(i % 3 == 0 ? missing : queue, message, Ct);
                    return (i, message.Id, Error: (RabbitMqDestinationNotFoundException?)null);
                }
                catch (RabbitMqDestinationNotFoundException ex)
                {
                    return (i, message.Id, Error: ex);
                }
            }).ToList();
            var results = await Task.WhenAll(sends);

            Assert.All(results.Where(r => r.i % 3 == 0), r => Assert.Equal(r.Id, Assert.IsType<RabbitMqDestinationNotFoundException>(r.Error).MessageId));
            Assert.All(results.Where(r => r.i % 3 != 0), r => Assert.Null(r.Error));
            Assert.Equal((uint)results.Count(r => r.i % 3 != 0), await channel.MessageCountAsync(queue, Ct));
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }

    private static async Task<string?> PublishAndReadSourceAsync(Action<RabbitMqTransportOptions>? configure, Envelope message)
    {
        await using var transport = await TestBroker.ConnectAsync(o =>
        {
            o.ClientName = null;
            configure?.Invoke(o);
        });
        await using var raw = await TestBroker.ConnectRawAsync();
        await using var channel = await raw.CreateChannelAsync(cancellationToken: Ct);
        var queue = TestBroker.UniqueName("source");
        try
        {
            await transport.Queue.SendAsync(queue, message, Ct);
            var got = await channel.BasicGetAsync(queue, true, Ct);
            Assert.NotNull(got);
            var headers = got.BasicProperties.Headers!;
            Assert.False(headers.ContainsKey(CloudEventHeaders.Source), "The envelope's ce-source header travels as cloudEvents:source, not under its own name.");
            return headers.TryGetValue("cloudEvents:source", out var value) && value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : null;
        }
        finally
        {
            await transport.Topology.DeleteAsync(Destination.Queue(queue), CancellationToken.None);
        }
    }
}

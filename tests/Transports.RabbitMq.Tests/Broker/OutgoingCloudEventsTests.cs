using System.Text;
using Messaging.Adapters.RabbitMq.Tests.Support;

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

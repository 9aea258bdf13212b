using Messaging.Adapters.Integration.Conformance;
using Messaging.Adapters.RabbitMq;
using Messaging.Adapters.Tests.Brokers;
using RabbitMQ.Client;

namespace Messaging.Adapters.Integration.Transports.RabbitMq;

/// <summary>
/// Runs the conformance suite against a real RabbitMQ: by default in a container that the test process starts through
/// <c>Messaging.Adapters.Testing</c> (<see cref="RabbitMqTestBroker"/>), or the broker at <c>MESSAGING_RABBITMQ_URI</c>
/// with no container engine at all. A broker that cannot be had fails the fixture (and so every test), naming the
/// address or the engine's error; it never skips.
/// </summary>
public sealed class RabbitMqFixture : TransportFixture
{
    private Uri? _brokerUri;

    /// <summary>The broker's address, with credentials, once the fixture is initialized.</summary>
    public Uri BrokerUri => _brokerUri ?? throw new InvalidOperationException($"{nameof(RabbitMqFixture)} is not initialized.");

    /// <inheritdoc />
    public override string EndpointDescription => _brokerUri is null
        ? $"RabbitMQ (in a container unless {RabbitMqTransportOptions.UriEnvironmentVariable} is set; not started yet)"
        : RabbitMqTestBroker.Describe(_brokerUri);

    /// <inheritdoc />
    /// <value>Both prefixes of the CloudEvents AMQP binding.</value>
    public override IReadOnlyList<string> CloudEventsHeaderPrefixes { get; } = ["cloudEvents:", "cloudEvents_"];

    /// <inheritdoc />
    /// <remarks>A plain RabbitMQ.Client publish to the default exchange with publisher confirms, on a connection of its
    /// own. Header values in AMQP's types: text as <c>longstr</c>, <see cref="DateTimeOffset"/> as <c>timestamp</c>,
    /// lists as arrays, maps as tables; the rest as RabbitMQ.Client writes them.</remarks>
    public override async Task SendForeignAsync(string queue, ForeignMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var factory = new ConnectionFactory { Uri = BrokerUri, ClientProvidedName = "conformance-foreign-" + RunId };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        var properties = new BasicProperties
        {
            ContentType = message.ContentType,
            MessageId = message.MessageId,
            Type = message.Type,
            Headers = message.Headers.ToDictionary(h => h.Key, h => Amqp(h.Value), StringComparer.Ordinal),
        };
        if (message.Timestamp is { } timestamp)
        {
            properties.Timestamp = new AmqpTimestamp(timestamp.ToUnixTimeSeconds());
        }

        await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, message.Body, cancellationToken);
    }

    private static object? Amqp(object? value) => value switch
    {
        DateTimeOffset time => new AmqpTimestamp(time.ToUnixTimeSeconds()),
        IReadOnlyDictionary<string, object?> table => table.ToDictionary(e => e.Key, e => Amqp(e.Value), StringComparer.Ordinal),
        System.Collections.IList list when value is not byte[] => list.Cast<object?>().Select(Amqp).ToList(),
        _ => value,
    };

    /// <inheritdoc />
    protected override async Task StartBrokerAsync(CancellationToken cancellationToken) =>
        _brokerUri = await RabbitMqTestBroker.UriAsync(cancellationToken, shareWithFaultTests: true);

    /// <inheritdoc />
    protected override async Task<ITransport> CreateTransportAsync(CancellationToken cancellationToken)
    {
        var transport = new RabbitMqTransport(new RabbitMqTransportOptions
        {
            Uri = BrokerUri,
            ClientName = "conformance-" + RunId,
            RecoveryInterval = TimeSpan.FromSeconds(1),
        });
        try
        {
            await transport.ConnectAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await transport.DisposeAsync();
            throw new InvalidOperationException($"{nameof(RabbitMqFixture)} cannot reach {EndpointDescription}: {ex.Message}", ex);
        }

        return transport;
    }
}

using Messaging.Adapters.Integration.Conformance;
using Messaging.Adapters.RabbitMq;
using RabbitMQ.Client;

namespace Messaging.Adapters.Integration.Transports.RabbitMq;

/// <summary>
/// Runs the conformance suite against a real RabbitMQ: the broker at <c>MESSAGING_RABBITMQ_URI</c>, by default the
/// local one that <c>eng/brokers/rabbitmq.sh</c> installs and starts. A broker that cannot be reached fails the
/// fixture (and so every test), naming the address and the variable; it never skips.
/// </summary>
public sealed class RabbitMqFixture : TransportFixture
{
    /// <summary>Creates the fixture once no fault test restarts the broker (see <see cref="BrokerFaultGuard"/>); waiting
    /// here, before the fixture's initialization timeout starts, keeps that wait out of every test's time budget.</summary>
    public RabbitMqFixture() => BrokerFaultGuard.Share();

    /// <summary>The broker's address: <c>MESSAGING_RABBITMQ_URI</c>, or the local default.</summary>
    public static Uri BrokerUri { get; } = new(Environment.GetEnvironmentVariable(RabbitMqTransportOptions.UriEnvironmentVariable) is { Length: > 0 } configured
        ? configured
        : RabbitMqTransportOptions.LocalUri);

    /// <inheritdoc />
    public override string EndpointDescription =>
        $"RabbitMQ at {new RabbitMqTransportOptions { Uri = BrokerUri }.ToString()} (set {RabbitMqTransportOptions.UriEnvironmentVariable} to use another broker; default {RabbitMqTransportOptions.LocalUri})";

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

    /// <summary>Keeps the broker from being restarted by the fault tests while this process uses it: a shared lock on a
    /// file, held until the process ends, which the fault tests take exclusively.</summary>
    internal static class BrokerFaultGuard
    {
        private static readonly Lazy<FileStream> Held = new(() =>
        {
            var path = Path.Combine(Path.GetTempPath(), "messaging-adapters-rabbitmq-faults.lock");
            while (true)
            {
                try
                {
                    return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
                }
                catch (IOException)
                {
                    // A fault test holds it exclusively: wait for the broker to be back to normal.
                    Thread.Sleep(200);
                }
            }
        });

        public static void Share() => _ = Held.Value;
    }
}

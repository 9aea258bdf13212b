using System.Text.Json;
using Confluent.Kafka;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Kafka.Health;

/// <summary>
/// Whether the transport's Kafka clients reach their brokers, from what librdkafka tells them anyway: a client that
/// reports <see cref="ErrorCode.Local_AllBrokersDown"/> counts as cut off until its statistics show a broker
/// connection up again. No request is made for it.
/// </summary>
/// <remarks>
/// librdkafka raises an error when the last broker connection goes down, but nothing when one comes back; its
/// statistics (every <see cref="StatisticsInterval"/>, on the client's own poll) list each broker's state, so they
/// tell the recovery. They are parsed only while a client counts as cut off: a healthy client's statistics are
/// dropped unread. librdkafka keeps only the connections it needs: a client that has nothing to send or fetch leaves
/// its brokers idle (<c>INIT</c>) after they come back, so its recovery shows once it uses a broker again (a group
/// consumer's heartbeats do within seconds on a real cluster).
/// </remarks>
internal sealed class BrokerReachability(string bootstrapServers) : ITransportHealth
{
    /// <summary>How often each producer and group consumer reports its statistics: the most a recovery waits to show.</summary>
    public const int StatisticsInterval = 5000;

    // Client (producer, group id) -> librdkafka's reason, for the clients that are cut off now.
    private readonly UnreachableParts _cutOff = new();

    /// <inheritdoc />
    public TransportHealth CurrentHealth => _cutOff.Describe(
        $"Kafka at {bootstrapServers}: no client reports all brokers down.",
        $"Kafka at {bootstrapServers} is unreachable: all brokers down for ");

    /// <summary>Takes a client's error callback.</summary>
    public void OnError(string client, Error error)
    {
        if (error.Code == ErrorCode.Local_AllBrokersDown)
        {
            _cutOff.Mark(client, error.Reason);
        }
    }

    /// <summary>Takes a client's statistics callback.</summary>
    public void OnStatistics(string client, string statistics)
    {
        if (_cutOff.Contains(client) && AnyBrokerUp(statistics))
        {
            _cutOff.Clear(client);
        }
    }

    /// <summary>Forgets a client that closed: it reaches nothing, and needs nothing either.</summary>
    public void Forget(string client) => _cutOff.Clear(client);

    /// <summary>Whether librdkafka's statistics show a broker connection in state <c>UP</c> (the <c>brokers</c> object:
    /// one entry per known broker, bootstrap entries included).</summary>
    private static bool AnyBrokerUp(string statistics)
    {
        try
        {
            using var document = JsonDocument.Parse(statistics);
            if (!document.RootElement.TryGetProperty("brokers", out var brokers) || brokers.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            foreach (var broker in brokers.EnumerateObject())
            {
                if (broker.Value.TryGetProperty("state", out var state) && state.ValueEquals("UP"))
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // Statistics we cannot read tell nothing: the client stays as it was.
        }

        return false;
    }
}

namespace Messaging.Adapters.Testing.Brokers;

/// <summary>The brokers the package starts, by transport name (compared case-insensitively, as Messaging:Transport is).</summary>
internal static class BrokerDefinitions
{
    private static readonly IBrokerDefinition[] All = [new RabbitMqBroker(), new KafkaBroker(), new AwsBroker()];

    public static IReadOnlyList<string> Transports { get; } = All.Select(definition => definition.Transport).ToArray();

    public static IBrokerDefinition For(string transport) =>
        All.FirstOrDefault(definition => string.Equals(definition.Transport, transport, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException(
            $"No broker for transport '{transport}': Messaging.Adapters.Testing starts {string.Join(", ", Transports)}. " +
            "The in-memory transport needs no broker: use Messaging:Transport = InMemory.",
            nameof(transport));
}

namespace Messaging.Adapters.Integration.Transports.Kafka;

/// <summary>
/// Where the tests find their Kafka cluster: <c>MESSAGING_KAFKA_BOOTSTRAP</c> when it is set (a real cluster; no mock
/// is started), otherwise the local mock cluster that <c>eng/brokers/kafka.sh</c> started, whose addresses it wrote
/// under <c>MESSAGING_KAFKA_STATE_DIR</c> (default <c>$TMPDIR/messaging-adapters-kafka</c>).
/// </summary>
/// <remarks>Shared as source with tests/Transports.Kafka.Tests.</remarks>
internal static class KafkaTestCluster
{
    public const string BootstrapVariable = "MESSAGING_KAFKA_BOOTSTRAP";
    public const string StateDirectoryVariable = "MESSAGING_KAFKA_STATE_DIR";

    /// <summary>The directory the local mock cluster writes its addresses to.</summary>
    public static string StateDirectory =>
        Environment.GetEnvironmentVariable(StateDirectoryVariable) is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } tmp ? tmp : "/tmp", "messaging-adapters-kafka");

    /// <summary>Whether the tests use the local mock cluster (and may use its control channel).</summary>
    public static bool IsMock => Environment.GetEnvironmentVariable(BootstrapVariable) is not { Length: > 0 };

    /// <summary>The bootstrap servers; throws, naming the variable and the script, when there is no cluster to use.</summary>
    public static string Bootstrap()
    {
        if (Environment.GetEnvironmentVariable(BootstrapVariable) is { Length: > 0 } configured)
        {
            return configured;
        }

        var file = Path.Combine(StateDirectory, "bootstrap");
        return File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } local
            ? local
            : throw new InvalidOperationException($"No Kafka cluster: {BootstrapVariable} is not set and the local mock cluster has not written {file}. Start it with `bash eng/brokers/kafka.sh`.");
    }

    /// <summary>How the cluster is described in failures.</summary>
    public static string Describe() =>
        IsMock
            ? $"the local Kafka mock cluster (eng/brokers/kafka.sh; addresses in {StateDirectory}; set {BootstrapVariable} to use a real cluster)"
            : $"Kafka at {Environment.GetEnvironmentVariable(BootstrapVariable)} ({BootstrapVariable})";
}

namespace Messaging.Adapters.Benchmarks.Kafka;

/// <summary>The cluster: MESSAGING_KAFKA_BOOTSTRAP, or the local mock cluster eng/brokers/kafka.sh started.</summary>
internal static class Cluster
{
    public static string Bootstrap()
    {
        if (Environment.GetEnvironmentVariable("MESSAGING_KAFKA_BOOTSTRAP") is { Length: > 0 } configured)
        {
            return configured;
        }

        var state = Environment.GetEnvironmentVariable("MESSAGING_KAFKA_STATE_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } tmp ? tmp : "/tmp", "messaging-adapters-kafka");
        var file = Path.Combine(state, "bootstrap");
        return File.Exists(file) ? File.ReadAllText(file).Trim() : throw new InvalidOperationException($"No cluster: set MESSAGING_KAFKA_BOOTSTRAP or run `bash eng/brokers/kafka.sh` ({file} is missing).");
    }

    public static string NewTopic(string prefix) => $"bench-{prefix}-{Guid.NewGuid():N}"[..32];
}

using System.Collections.Concurrent;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Messaging.Adapters.Kafka.Topology;

/// <summary>
/// Creates the topics the transport needs, once each per transport: through the admin API with
/// <see cref="KafkaTransportOptions.Partitions"/> and <see cref="KafkaTransportOptions.ReplicationFactor"/>; where the
/// cluster refuses the admin API but creates topics it is asked about (librdkafka's mock cluster,
/// <c>auto.create.topics.enable</c>), by asking for the topic's metadata. A topic that can be created neither way is an
/// error naming it.
/// </summary>
internal sealed class TopicProvisioner(Lazy<IAdminClient> admin, KafkaTransportOptions options)
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, Lazy<Task>> _ensured = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _partitionCounts = new(StringComparer.Ordinal);

    /// <summary>Whether the cluster refused the admin API (librdkafka's mock cluster): later creations go straight to the
    /// metadata request, and no deletion is asked for.</summary>
    public bool AdminApiRefused { get; set; }

    /// <summary>Makes sure the topic exists; concurrent and repeated calls share one creation.</summary>
    public Task EnsureAsync(string topic, CancellationToken cancellationToken)
    {
        var ensured = _ensured.GetOrAdd(topic, t => new Lazy<Task>(() => CreateAsync(t)));
        return ensured.Value.IsCompletedSuccessfully ? Task.CompletedTask : WaitAsync(topic, ensured, cancellationToken);
    }

    /// <summary>Forgets that a topic was created (it was deleted), so the next use creates it again.</summary>
    public void Forget(string topic)
    {
        _ensured.TryRemove(topic, out _);
        _partitionCounts.TryRemove(topic, out _);
    }

    /// <summary>The topic's partitions, creating the topic first.</summary>
    public async Task<IReadOnlyList<TopicPartition>> PartitionsAsync(string topic, CancellationToken cancellationToken)
    {
        await EnsureAsync(topic, cancellationToken).ConfigureAwait(false);
        var metadata = await Task.Run(() => admin.Value.GetMetadata(topic, MetadataTimeout), cancellationToken).ConfigureAwait(false);
        var found = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
        if (found is null || found.Error.IsError || found.Partitions.Count == 0)
        {
            throw new TransportUnavailableException($"Kafka topic '{topic}' has no partitions the cluster reports ({found?.Error.Reason ?? "missing"}).", isTransient: true);
        }

        return found.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).OrderBy(p => p.Partition.Value).ToList();
    }

    /// <summary>How many partitions the topic has (created first), remembered per transport.</summary>
    public async Task<int> PartitionCountAsync(string topic, CancellationToken cancellationToken)
    {
        if (_partitionCounts.TryGetValue(topic, out var count))
        {
            return count;
        }

        count = (await PartitionsAsync(topic, cancellationToken).ConfigureAwait(false)).Count;
        _partitionCounts[topic] = count;
        return count;
    }

    /// <summary>Whether the topic exists, without creating it.</summary>
    public async Task<bool> ExistsAsync(string topic, CancellationToken cancellationToken)
    {
        var metadata = await Task.Run(() => admin.Value.GetMetadata(MetadataTimeout), cancellationToken).ConfigureAwait(false);
        return metadata.Topics.Any(t => t.Topic == topic && !t.Error.IsError);
    }

    private async Task WaitAsync(string topic, Lazy<Task> ensured, CancellationToken cancellationToken)
    {
        try
        {
            await ensured.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A failed attempt is not remembered: the next use tries again.
            _ensured.TryRemove(new KeyValuePair<string, Lazy<Task>>(topic, ensured));
            throw;
        }
    }

    private async Task CreateAsync(string topic)
    {
        if (!options.ProvisionOnFirstUse)
        {
            // Checked once (remembered when it exists): a producer would otherwise wait out its message timeout on a
            // missing topic, and a consumer would wait for partitions that never come.
            if (!await ExistsAsync(topic, CancellationToken.None).ConfigureAwait(false))
            {
                throw new KafkaTopicNotFoundException(topic,
                    $"Kafka topic '{topic}' does not exist, and Messaging:Kafka:ProvisionOnFirstUse is off, so the transport does not create it: create it (ITopology.EnsureAsync, or the cluster's own tools), or turn provisioning on.");
            }

            return;
        }

        if (!AdminApiRefused)
        {
            try
            {
                await admin.Value.CreateTopicsAsync(
                    [new TopicSpecification { Name = topic, NumPartitions = options.Partitions, ReplicationFactor = options.ReplicationFactor }],
                    new CreateTopicsOptions { RequestTimeout = MetadataTimeout }).ConfigureAwait(false);
                return;
            }
            catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
            {
                return;
            }
            catch (KafkaException ex) when (RefusesAdminApi(ex))
            {
                // The cluster may create the topic when asked for its metadata (below); not asked again.
                AdminApiRefused = true;
            }
        }

        var metadata = await Task.Run(() => admin.Value.GetMetadata(topic, MetadataTimeout)).ConfigureAwait(false);
        var found = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
        if (found is null || found.Error.IsError)
        {
            throw new TransportUnavailableException(
                $"Kafka topic '{topic}' does not exist and could not be created: the cluster refuses CreateTopics and did not create it on first use ({found?.Error.Reason ?? "not in metadata"}). Create it, or allow the transport to (Messaging:Kafka:ProvisionOnFirstUse).",
                isTransient: false);
        }
    }

    /// <summary>Whether the error says the admin API is missing (as on librdkafka's mock cluster) or not allowed, rather
    /// than that the request failed.</summary>
    internal static bool RefusesAdminApi(KafkaException ex) => ex switch
    {
        CreateTopicsException create => create.Results.Any(r => IsRefusal(r.Error.Code)),
        DeleteTopicsException delete => delete.Results.Any(r => IsRefusal(r.Error.Code)),
        DeleteGroupsException groups => groups.Results.Any(r => IsRefusal(r.Error.Code)),
        _ => IsRefusal(ex.Error.Code),
    };

    private static bool IsRefusal(ErrorCode code) => code is ErrorCode.Local_UnsupportedFeature or ErrorCode.UnsupportedVersion or ErrorCode.InvalidRequest
        or ErrorCode.TopicAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed or ErrorCode.GroupAuthorizationFailed or ErrorCode.PolicyViolation;
}

using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Kafka.Topology;

/// <summary>
/// Creates and deletes topics, subscription groups, queues and streams. Where the cluster refuses to delete topics and
/// groups (librdkafka's mock cluster), deleting a queue or subscription moves its group past everything in its topics,
/// which is what deleting means to its consumers; the topics themselves stay.
/// </summary>
internal sealed class KafkaTopology(KafkaTransport transport) : ITopology
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    public async Task EnsureAsync(Destination destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        transport.ThrowIfDisposed();
        switch (destination.Kind)
        {
            case DestinationKind.Subscription:
                var queue = DestinationNames.SubscriptionQueue(destination.Name, destination.Subscription!);
                await transport.Groups.StartSubscriptionAsync(queue, destination.Name, queue, cancellationToken).ConfigureAwait(false);
                await transport.Topics.EnsureAsync(DestinationNames.DeadLetterQueue(queue), cancellationToken).ConfigureAwait(false);
                break;
            case DestinationKind.Queue:
                await transport.Topics.EnsureAsync(destination.Name, cancellationToken).ConfigureAwait(false);
                if (DeadLetterQueues.HasOwn(destination.Name))
                {
                    await transport.Topics.EnsureAsync(DestinationNames.DeadLetterQueue(destination.Name), cancellationToken).ConfigureAwait(false);
                }

                break;
            default:
                await transport.Topics.EnsureAsync(destination.Name, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    public async Task DeleteAsync(Destination destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        transport.ThrowIfDisposed();
        switch (destination.Kind)
        {
            case DestinationKind.Subscription:
                await DeleteSubscriptionAsync(destination.Name, destination.Subscription!, cancellationToken).ConfigureAwait(false);
                break;
            case DestinationKind.Queue:
                await DeleteQueueAsync(destination.Name, cancellationToken).ConfigureAwait(false);
                break;
            default:
                // A topic or stream: its groups (subscriptions, reader groups) are deleted with their own calls.
                await DeleteTopicsAsync([destination.Name], cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private async Task DeleteQueueAsync(string queue, CancellationToken cancellationToken)
    {
        // A dead-letter queue has none of its own (DeadLetterQueues.TargetOf).
        string[] names = DeadLetterQueues.HasOwn(queue) ? [queue, DestinationNames.DeadLetterQueue(queue)] : [queue];

        // A cluster that refuses DeleteTopics is not asked to delete groups: librdkafka's mock cluster answers that it
        // cannot, and the admin client then aborts the process when it is disposed.
        if (await DeleteTopicsAsync(names, cancellationToken).ConfigureAwait(false))
        {
            await DeleteGroupsAsync(names, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Neither can be deleted here: empty the queue (and its dead-letter queue) for their readers.
        foreach (var name in names)
        {
            if (await transport.Topics.ExistsAsync(name, cancellationToken).ConfigureAwait(false))
            {
                var partitions = await transport.Topics.PartitionsAsync(name, cancellationToken).ConfigureAwait(false);
                await transport.Groups.SkipToEndAsync(name, partitions, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task DeleteSubscriptionAsync(string topic, string subscription, CancellationToken cancellationToken)
    {
        var queue = DestinationNames.SubscriptionQueue(topic, subscription);
        var deadLetter = DestinationNames.DeadLetterQueue(queue);
        if (await DeleteTopicsAsync([queue, deadLetter], cancellationToken).ConfigureAwait(false)
            && await DeleteGroupsAsync([queue, deadLetter], cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // The group cannot be deleted here: record the deletion in its offsets, so that subscribing again starts
        // afresh at the end of the topic (see GroupOffsets.DeletedMarker).
        if (await transport.Topics.ExistsAsync(queue, cancellationToken).ConfigureAwait(false))
        {
            var partitions = new List<TopicPartition>();
            if (await transport.Topics.ExistsAsync(topic, cancellationToken).ConfigureAwait(false))
            {
                partitions.AddRange(await transport.Topics.PartitionsAsync(topic, cancellationToken).ConfigureAwait(false));
            }

            partitions.AddRange(await transport.Topics.PartitionsAsync(queue, cancellationToken).ConfigureAwait(false));
            await transport.Groups.MarkDeletedAsync(queue, partitions, new TopicPartition(queue, 0), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes topics; false when the cluster refuses to (the admin API is missing or not allowed).</summary>
    private async Task<bool> DeleteTopicsAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken)
    {
        foreach (var topic in topics)
        {
            transport.Topics.Forget(topic);
        }

        if (transport.Topics.AdminApiRefused)
        {
            return false;
        }

        try
        {
            await transport.NativeAdminClient.DeleteTopicsAsync(topics, new DeleteTopicsOptions { RequestTimeout = RequestTimeout }).WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DeleteTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.UnknownTopicOrPart))
        {
            return true;
        }
        catch (KafkaException ex) when (TopicProvisioner.RefusesAdminApi(ex))
        {
            transport.Topics.AdminApiRefused = true;
            return false;
        }
    }

    /// <summary>Deletes consumer groups; false when the cluster refuses to.</summary>
    private async Task<bool> DeleteGroupsAsync(IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        try
        {
            await transport.NativeAdminClient.DeleteGroupsAsync([.. groups], new DeleteGroupsOptions { RequestTimeout = RequestTimeout }).WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DeleteGroupsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.GroupIdNotFound))
        {
            return true;
        }
        catch (KafkaException ex) when (TopicProvisioner.RefusesAdminApi(ex))
        {
            return false;
        }
    }
}

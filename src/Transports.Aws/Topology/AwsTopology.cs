namespace Messaging.Adapters.Aws.Topology;

/// <summary>
/// Creates and deletes SNS topics, SQS queues (with their dead-letter queues) and subscriptions ahead of use.
/// </summary>
internal sealed class AwsTopology(AwsTransport transport) : ITopology
{
    public async Task EnsureAsync(Destination destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        transport.ThrowIfDisposed();
        switch (destination.Kind)
        {
            case DestinationKind.Topic:
                await transport.Provisioner.TopicAsync(destination.Name, cancellationToken).ConfigureAwait(false);
                break;
            case DestinationKind.Subscription:
                await transport.Provisioner.EnsureSubscriptionAsync(destination.Name, destination.Subscription!, destination.Filter, cancellationToken).ConfigureAwait(false);
                break;
            case DestinationKind.Queue:
                await transport.Provisioner.QueueAsync(destination.Name, create: true, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new CapabilityNotSupportedException(nameof(TransportCapabilities.Streams), transport.Name);
        }
    }

    public async Task DeleteAsync(Destination destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        transport.ThrowIfDisposed();
        switch (destination.Kind)
        {
            case DestinationKind.Topic:
                await transport.Provisioner.DeleteTopicAsync(destination.Name, cancellationToken).ConfigureAwait(false);
                break;
            case DestinationKind.Subscription:
                await transport.Provisioner.DeleteSubscriptionAsync(destination.Name, destination.Subscription!, cancellationToken).ConfigureAwait(false);
                break;
            case DestinationKind.Queue:
                await transport.Provisioner.DeleteQueueAsync(destination.Name, cancellationToken).ConfigureAwait(false);
                break;
            default:
                // No stream can exist on this transport: deleting what does not exist does nothing.
                break;
        }
    }
}

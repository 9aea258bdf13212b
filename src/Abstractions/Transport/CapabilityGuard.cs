namespace Messaging.Adapters.Transport;

/// <summary>
/// The one place where a request is checked against a transport's declared <see cref="TransportCapabilities"/>:
/// every adapter calls it at its entry points, so a capability is refused the same way, with the same error, on
/// every broker.
/// </summary>
/// <remarks>
/// For adapter authors, not application code. Pass the capabilities of the destination concerned
/// (<see cref="ITransport.CapabilitiesOf"/>) and the transport's <see cref="ITransport.Name"/>. Message size and
/// batch limits are checked by <see cref="TransportCapabilities.EnsureFits"/> and
/// <see cref="TransportCapabilities.EnsureBatchFits"/>.
/// </remarks>
public static class CapabilityGuard
{
    /// <summary>Refuses a queue or subscription consumer that asks for what the destination does not offer:
    /// <see cref="MessageOrdering.ByKey"/> without <see cref="TransportCapabilities.OrderingByKey"/>.</summary>
    /// <param name="capabilities">The capabilities of the queue or subscription.</param>
    /// <param name="transport">The transport's name, for the error.</param>
    /// <param name="options">The consumer's options (already validated).</param>
    /// <exception cref="CapabilityNotSupportedException">A capability is missing; the error names it and the transport.</exception>
    public static void EnsureConsumer(TransportCapabilities capabilities, string transport, ConsumerOptions options)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        ArgumentNullException.ThrowIfNull(options);
        EnsureOrdering(capabilities, transport, options.Ordering == MessageOrdering.ByKey);
    }

    /// <summary>Refuses ordering by key without <see cref="TransportCapabilities.OrderingByKey"/>; the engine's settings
    /// check the same rule through here.</summary>
    internal static void EnsureOrdering(TransportCapabilities capabilities, string transport, bool orderedByKey)
    {
        if (orderedByKey && !capabilities.OrderingByKey)
        {
            throw new CapabilityNotSupportedException(nameof(TransportCapabilities.OrderingByKey), transport);
        }
    }

    /// <summary>Refuses a stream read the stream cannot serve: any read without <see cref="TransportCapabilities.Streams"/>,
    /// a start at <see cref="StreamPosition.AtTime"/> without <see cref="TransportCapabilities.StreamStartAtTime"/>.</summary>
    /// <param name="capabilities">The capabilities of the stream.</param>
    /// <param name="transport">The transport's name, for the error.</param>
    /// <param name="options">The read's options (already validated).</param>
    /// <exception cref="CapabilityNotSupportedException">A capability is missing; the error names it and the transport.</exception>
    public static void EnsureStreamRead(TransportCapabilities capabilities, string transport, StreamReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        ArgumentNullException.ThrowIfNull(options);
        if (!capabilities.Streams)
        {
            throw new CapabilityNotSupportedException(nameof(TransportCapabilities.Streams), transport);
        }

        // Refused even when a checkpoint would make the start position moot: whether a reader group has one depends
        // on the broker's state, and a call that only works sometimes is worse than one that never does.
        if (options.StartPosition.Kind == StreamPositionKind.Time && !capabilities.StreamStartAtTime)
        {
            throw new CapabilityNotSupportedException(nameof(TransportCapabilities.StreamStartAtTime), transport);
        }
    }

    /// <summary>Whether a consumer's delayed retries must wait in process because the broker cannot hold them: the
    /// transport lacks <see cref="TransportCapabilities.DelayedDelivery"/>, or the policy can ask for a delay over
    /// <see cref="TransportCapabilities.MaxDelay"/>.</summary>
    /// <param name="capabilities">The capabilities of the queue, subscription or stream consumed.</param>
    /// <param name="policy">The consumer's effective retry policy.</param>
    /// <returns><see langword="true"/> when the <see cref="HandlerPipeline"/> must be created with <c>holdDelayedRetries</c>.</returns>
    /// <remarks>Decided per consumer, not per retry, so that one consumer's retries do not take two different paths
    /// (a held retry keeps its in-flight slot; a broker-held one frees it).</remarks>
    public static bool HoldsDelayedRetries(TransportCapabilities capabilities, RetryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        ArgumentNullException.ThrowIfNull(policy);
        if (!capabilities.DelayedDelivery)
        {
            return true;
        }

        // Delays never shrink from one attempt to the next, so the delay before the last attempt is the longest.
        return capabilities.MaxDelay is { } max && policy.MaxAttempts >= 2 && policy.DelayBefore(policy.MaxAttempts) > max;
    }
}

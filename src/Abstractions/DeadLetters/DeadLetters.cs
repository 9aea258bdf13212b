using Messaging.Adapters.Transport;

namespace Messaging.Adapters;

/// <summary>
/// The <see cref="IDeadLetters"/> of one transport: counts and peeks through the transport's
/// <see cref="IQueueInspector"/>, re-sends through its <see cref="IQueue"/>. <c>AddMessaging</c> registers one; build one
/// yourself for a transport made without dependency injection.
/// </summary>
/// <param name="transport">The transport.</param>
public sealed class DeadLetters(ITransport transport) : IDeadLetters
{
    private readonly ITransport _transport = transport ?? throw new ArgumentNullException(nameof(transport));

    /// <inheritdoc/>
    public Task<QueueCount> CountAsync(string deadLetterQueue, CancellationToken cancellationToken = default)
    {
        Validate(deadLetterQueue);
        return Inspector().CountAsync(deadLetterQueue, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<DeadLetter>> PeekAsync(string deadLetterQueue, int max = 100, CancellationToken cancellationToken = default)
    {
        Validate(deadLetterQueue);
        if (max is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(max), max, $"PeekAsync's max must be 1..1000, was {max}.");
        }

        var letters = await Inspector().PeekAsync(deadLetterQueue, max, cancellationToken).ConfigureAwait(false);
        return letters.Select(envelope => new DeadLetter(envelope)).ToList();
    }

    /// <inheritdoc/>
    /// <remarks>The run takes the letters one at a time. Where the transport can count
    /// (<see cref="TransportCapabilities.QueueInspection"/>), it takes at most as many as the queue held when it started,
    /// so letters dead-lettered meanwhile wait for the next run; an empty or missing queue returns at once. Kept letters
    /// go back to the end of the queue, so on a broker without order a kept letter may come round before the others
    /// (<see cref="RedriveEnd.CameAround"/>): run it again for the rest.</remarks>
    public async Task<DeadLetterRedriveResult> RedriveAsync(string deadLetterQueue, DeadLetterRedriveOptions? options = null, CancellationToken cancellationToken = default)
    {
        Validate(deadLetterQueue);
        options ??= new DeadLetterRedriveOptions();
        options.Validate();
        long? snapshot = null;
        if (CanInspect(out var inspector))
        {
            var count = await inspector.CountAsync(deadLetterQueue, cancellationToken).ConfigureAwait(false);
            snapshot = count.Exists ? count.Messages : 0;
        }

        var result = await RedriveRun.RunAsync(_transport.Queue, deadLetterQueue, options, snapshot, cancellationToken).ConfigureAwait(false);
        if (snapshot is { } before && before > 0)
        {
            await SettleAsync(inspector, deadLetterQueue, before - result.RedrivenCount, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>Waits briefly until the queue shows the letters the run left: a letter its consumer held when it stopped
    /// goes back to the broker asynchronously (a RabbitMQ quorum queue takes returns back after the channel is gone), and
    /// a count right after the run would miss it. Bounded, since other consumers may take letters meanwhile.</summary>
    private static async Task SettleAsync(IQueueInspector inspector, string deadLetterQueue, long left, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + 2000;
        while (Environment.TickCount64 < deadline
            && (await inspector.CountAsync(deadLetterQueue, cancellationToken).ConfigureAwait(false)).Messages < left)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Validate(string deadLetterQueue)
    {
        DestinationNames.Validate(deadLetterQueue, "dead-letter queue", nameof(deadLetterQueue));
        if (!DestinationNames.IsDeadLetterQueue(deadLetterQueue))
        {
            throw new ArgumentException($"'{deadLetterQueue}' is not a dead-letter queue: its name must end with '{DestinationNames.DeadLetterSuffix}' (DestinationNames.DeadLetterQueue).", nameof(deadLetterQueue));
        }
    }

    private bool CanInspect(out IQueueInspector inspector)
    {
        inspector = (_transport as IQueueInspector)!;
        return _transport.Capabilities.QueueInspection && inspector is not null;
    }

    private IQueueInspector Inspector() =>
        CanInspect(out var inspector) ? inspector : throw new CapabilityNotSupportedException(nameof(TransportCapabilities.QueueInspection), _transport.Name);
}

using Messaging.Adapters.RabbitMq.Connection;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// Declares what the transport uses on the broker, idempotently, remembering what it declared so that each entity
/// costs one round trip per process; a declaration that conflicts with an existing entity becomes a
/// <see cref="TopologyConflictException"/> naming the entity and both argument sets.
/// </summary>
/// <remarks>
/// <para>Every queue has one canonical definition (<see cref="QueueDefinitions"/>), whichever way it is reached, so
/// declaring it again from anywhere never conflicts; several processes declaring at once all succeed.</para>
/// <para>Topology operations share one <see cref="TopologyChannel"/>; deleting is <see cref="TopologyDeletion"/>'s
/// job, names are <see cref="TopologyNames"/>'.</para>
/// </remarks>
internal sealed partial class TopologyProvisioner : IAsyncDisposable
{
    /// <inheritdoc cref="TopologyNames.DeadLetterExchange"/>
    public const string DeadLetterExchange = TopologyNames.DeadLetterExchange;

    private readonly string _virtualHost;
    private readonly QueueDefinitions _definitions;
    private readonly ILogger _logger;
    private readonly bool _filterOnBroker;

    public TopologyProvisioner(RabbitMqConnection connection, RabbitMqTransportOptions options, string virtualHost, ILogger? logger = null)
    {
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _virtualHost = virtualHost;
        _definitions = new QueueDefinitions(options);
        _filterOnBroker = options.FilterOnBroker;
        Channel = new TopologyChannel(connection, options);
    }

    /// <summary>The channel topology operations share.</summary>
    public TopologyChannel Channel { get; }

    /// <summary>Whether queues for messages (not dead-letter queues) are declared with <c>x-delivery-limit</c>.</summary>
    public bool SetsDeliveryLimit => _definitions.SetsDeliveryLimit;

    /// <summary>What this process declared.</summary>
    public DeclaredTopology Declared { get; } = new();

    // The names below are TopologyNames'; they stay reachable here for the callers in Consuming and Streams.

    /// <inheritdoc cref="TopologyNames.CheckpointQueue"/>
    public static string CheckpointQueue(string stream, string group) => TopologyNames.CheckpointQueue(stream, group);

    /// <inheritdoc cref="TopologyNames.ReaderLockQueue"/>
    public static string ReaderLockQueue(string stream, string group) => TopologyNames.ReaderLockQueue(stream, group);

    /// <inheritdoc cref="TopologyNames.ActiveConsumerQueue"/>
    public static string ActiveConsumerQueue(string queue) => TopologyNames.ActiveConsumerQueue(queue);

    /// <inheritdoc cref="TopologyNames.ReaderGroupSource"/>
    public static string ReaderGroupSource(string stream, string group) => TopologyNames.ReaderGroupSource(stream, group);

    /// <inheritdoc cref="TopologyNames.ValidateName"/>
    public static void ValidateName(string name, string kind, string paramName) => TopologyNames.ValidateName(name, kind, paramName);

    public Task EnsureTopicAsync(string topic, CancellationToken cancellationToken, bool force = false) =>
        OnceAsync("exchange:" + topic, force, channel => DeclareExchangeAsync(channel, topic, ExchangeType.Headers, cancellationToken), cancellationToken);

    /// <summary>Declares a queue with its dead-letter queue (the queue first, so a conflicting queue leaves nothing
    /// behind), and binds it to <see cref="TopologyNames.DelayReturnExchange"/> so that its delayed retries come back
    /// to it, even when it was deleted and declared again since a process published one.</summary>
    /// <remarks>A temporary queue (<see cref="DestinationNames.IsTemporaryQueue"/>) is declared alone, as
    /// <see cref="QueueDefinitions.Temporary"/>: no dead-letter queue, no delayed retries coming back to it. A dead-letter
    /// queue gets no dead-letter queue of its own (<see cref="DeadLetterQueues.TargetOf"/>).</remarks>
    public async Task EnsureQueueAsync(string queue, CancellationToken cancellationToken, bool force = false)
    {
        if (DestinationNames.IsTemporaryQueue(queue))
        {
            await OnceAsync("queue:" + queue, force, channel => DeclareQueueAsync(channel, queue, _definitions.Temporary(), cancellationToken), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!DeadLetterQueues.HasOwn(queue))
        {
            await OnceAsync("dead-letter-queue:" + queue, force, channel => DeclareMessagesQueueAsync(channel, queue, cancellationToken, deadLetters: true), cancellationToken).ConfigureAwait(false);
            await EnsureDelayReturnAsync(queue, force, cancellationToken).ConfigureAwait(false);
            return;
        }

        await OnceAsync("queue:" + queue, force, channel => DeclareMessagesQueueAsync(channel, queue, cancellationToken), cancellationToken).ConfigureAwait(false);
        await EnsureDelayReturnAsync(queue, force, cancellationToken).ConfigureAwait(false);
        await EnsureDeadLetterQueueAsync(queue, cancellationToken, force).ConfigureAwait(false);
    }

    /// <summary>Declares the dead-letter exchange, <c>&lt;source&gt;.dead-letter</c> and the binding between them.</summary>
    public async Task EnsureDeadLetterQueueAsync(string source, CancellationToken cancellationToken, bool force = false)
    {
        var deadLetterQueue = source + DestinationNames.DeadLetterSuffix;
        await OnceAsync("exchange:" + DeadLetterExchange, force, channel => DeclareExchangeAsync(channel, DeadLetterExchange, ExchangeType.Direct, cancellationToken), cancellationToken).ConfigureAwait(false);
        await OnceAsync("dead-letter:" + source, force, async channel =>
        {
            await DeclareMessagesQueueAsync(channel, deadLetterQueue, cancellationToken, then: open => open.QueueBindAsync(deadLetterQueue, DeadLetterExchange, source, null, false, cancellationToken), deadLetters: true).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Declares a subscription queue and binds it to its topic with one binding per filter alternative,
    /// removing the bindings of the subscription's previous filter that this process made, and the match-all
    /// binding when the filter is not match-all.</summary>
    public async Task EnsureSubscriptionAsync(string topic, string subscription, SubscriptionFilter? filter, CancellationToken cancellationToken, bool force = false)
    {
        var queue = DestinationNames.SubscriptionQueue(topic, subscription);
        await EnsureTopicAsync(topic, cancellationToken, force).ConfigureAwait(false);
        await EnsureQueueAsync(queue, cancellationToken, force).ConfigureAwait(false);
        var wanted = BindingFilter.Arguments(filter, _filterOnBroker).ToDictionary(BindingFilter.Key, StringComparer.Ordinal);
        await RunAsync(async channel =>
        {
            var known = Declared.Bindings.GetOrAdd(queue, _ => new(StringComparer.Ordinal));
            foreach (var (key, arguments) in wanted)
            {
                if (!known.ContainsKey(key))
                {
                    await channel.QueueBindAsync(queue, topic, string.Empty, arguments, false, cancellationToken).ConfigureAwait(false);
                }
            }

            var matchAll = BindingFilter.Key([]);
            foreach (var (key, arguments) in known.ToList())
            {
                if (!wanted.ContainsKey(key))
                {
                    await channel.QueueUnbindAsync(queue, topic, string.Empty, arguments, cancellationToken).ConfigureAwait(false);
                }
            }

            if (!wanted.ContainsKey(matchAll) && !known.ContainsKey(matchAll))
            {
                // Made by another process before this filter was set: unbinding what does not exist is harmless.
                await channel.QueueUnbindAsync(queue, topic, string.Empty, null, cancellationToken).ConfigureAwait(false);
            }

            known.Clear();
            foreach (var (key, arguments) in wanted)
            {
                known[key] = arguments;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task EnsureStreamAsync(string stream, CancellationToken cancellationToken, bool force = false) =>
        OnceAsync("stream:" + stream, force, channel => DeclareQueueAsync(channel, stream, QueueDefinitions.Stream(), cancellationToken), cancellationToken);

    /// <summary>Declares a reader group's checkpoint queue and dead-letter queue.</summary>
    public async Task EnsureReaderGroupAsync(string stream, string group, CancellationToken cancellationToken, bool force = false)
    {
        Declared.ReaderGroups.GetOrAdd(stream, _ => new(StringComparer.Ordinal))[group] = 0;
        await EnsureDeadLetterQueueAsync(ReaderGroupSource(stream, group), cancellationToken, force).ConfigureAwait(false);
        var checkpoint = CheckpointQueue(stream, group);
        await OnceAsync("checkpoint:" + checkpoint, force, channel => DeclareQueueAsync(channel, checkpoint, _definitions.Checkpoint(), cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Declares what a delayed retry of <paramref name="queue"/> through <paramref name="level"/> needs: the
    /// way back (<see cref="TopologyNames.DelayReturnExchange"/>, its alternate exchange and queue
    /// <see cref="TopologyNames.DelayUnroutable"/>), the level's fanout exchange and queue, and the binding of
    /// <paramref name="queue"/> to the way back. None of it is per queue and delay but that one binding.</summary>
    /// <remarks>The queue is not declared: it exists (it is being consumed), possibly with arguments of its own.</remarks>
    public async Task EnsureDelayAsync(string queue, DelayLevel level, CancellationToken cancellationToken, bool force = false)
    {
        await OnceAsync("delay-unroutable", force, async channel =>
        {
            await DeclareExchangeAsync(channel, TopologyNames.DelayUnroutable, ExchangeType.Fanout, cancellationToken).ConfigureAwait(false);
            await DeclareQueueAsync(channel, TopologyNames.DelayUnroutable, _definitions.Messages(TopologyNames.DelayUnroutable, deliveryLimit: false), cancellationToken).ConfigureAwait(false);
            await channel.QueueBindAsync(TopologyNames.DelayUnroutable, TopologyNames.DelayUnroutable, string.Empty, null, false, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        await OnceAsync("delay-level:" + level.Name, force, async channel =>
        {
            await DeclareExchangeAsync(channel, level.Name, ExchangeType.Fanout, cancellationToken).ConfigureAwait(false);
            await DeclareQueueAsync(channel, level.Name, _definitions.DelayLevel(level), cancellationToken).ConfigureAwait(false);
            await channel.QueueBindAsync(level.Name, level.Name, string.Empty, null, false, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        await EnsureDelayReturnAsync(queue, force, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a dead-letter queue that exists has the definition of one (<see cref="QueueDefinitions.DeadLetters"/>,
    /// no <c>x-delivery-limit</c>): declared again with it on a channel of its own, it is accepted.</summary>
    public async Task<bool> HasDeadLetterDefinitionAsync(string deadLetterQueue, CancellationToken cancellationToken)
    {
        try
        {
            await Channel.RunOnFreshChannelAsync(fresh => DeclareQueueAsync(fresh, deadLetterQueue, _definitions.DeadLetters(deadLetterQueue), cancellationToken), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TopologyConflictException)
        {
            return false;
        }
    }

    /// <summary>Reads the stream offset stored in a checkpoint queue, leaving it there.</summary>
    public Task<long?> ReadCheckpointAsync(string checkpointQueue, CancellationToken cancellationToken) =>
        CheckpointReader.ReadAsync(Channel, checkpointQueue, cancellationToken);

    /// <inheritdoc cref="TopologyChannel.RunAsync"/>
    public Task RunAsync(Func<IChannel, Task> operation, CancellationToken cancellationToken) => Channel.RunAsync(operation, cancellationToken);

    public ValueTask DisposeAsync() => Channel.DisposeAsync();

    private async Task OnceAsync(string key, bool force, Func<IChannel, Task> declare, CancellationToken cancellationToken)
    {
        if (!force && Declared.Contains(key))
        {
            return;
        }

        await RunAsync(declare, cancellationToken).ConfigureAwait(false);
        Declared.Remember(key);
    }

    /// <summary>Declares <see cref="TopologyNames.DelayReturnExchange"/> and binds <paramref name="queue"/> to it
    /// with its own name.</summary>
    private async Task EnsureDelayReturnAsync(string queue, bool force, CancellationToken cancellationToken)
    {
        // The alternate exchange need not exist to be named; it is declared with the first delay level, before any
        // retry can need it.
        var arguments = new Dictionary<string, object?> { ["alternate-exchange"] = TopologyNames.DelayUnroutable };
        await OnceAsync("exchange:" + TopologyNames.DelayReturnExchange, force, channel => DeclareAsync(channel, EntityDeclaration.Exchange, TopologyNames.DelayReturnExchange, EntityDeclaration.DurableExchange(ExchangeType.Direct, arguments), cancellationToken), cancellationToken).ConfigureAwait(false);
        await OnceAsync("delay-target:" + queue, force, channel => channel.QueueBindAsync(queue, TopologyNames.DelayReturnExchange, queue, null, false, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private Task DeclareExchangeAsync(IChannel channel, string name, string type, CancellationToken cancellationToken) =>
        DeclareAsync(channel, EntityDeclaration.Exchange, name, EntityDeclaration.DurableExchange(type), cancellationToken);

    /// <summary>Declares a queue for messages (<paramref name="deadLetters"/>: a dead-letter queue, without
    /// <c>x-delivery-limit</c>), then runs <paramref name="then"/> on a channel that is still open. Queue arguments are
    /// fixed when a queue is created: one that differs from its definition in the limit alone (declared by another
    /// version) is used as it is, with a warning, rather than refused.</summary>
    private async Task DeclareMessagesQueueAsync(IChannel channel, string name, CancellationToken cancellationToken, Func<IChannel, Task>? then = null, bool deadLetters = false)
    {
        try
        {
            await DeclareQueueAsync(channel, name, deadLetters ? _definitions.DeadLetters(name) : _definitions.Messages(name), cancellationToken).ConfigureAwait(false);
        }
        catch (TopologyConflictException conflict) when (_definitions.SetsDeliveryLimit)
        {
            // The refusal closed the channel: go on on a fresh one.
            await Channel.RunOnFreshChannelAsync(
                async fresh =>
                {
                    try
                    {
                        await DeclareQueueAsync(fresh, name, _definitions.Messages(name, deliveryLimit: deadLetters), cancellationToken).ConfigureAwait(false);
                    }
                    catch (TopologyConflictException)
                    {
                        // It differs in more than the limit: the first conflict says how.
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(conflict);
                    }

                    if (deadLetters)
                    {
                        LogDeadLettersWithDeliveryLimit(_logger, name);
                    }
                    else
                    {
                        LogWithoutDeliveryLimit(_logger, name);
                    }

                    if (then is not null)
                    {
                        await then(fresh).ConfigureAwait(false);
                    }
                },
                cancellationToken).ConfigureAwait(false);
            return;
        }

        if (then is not null)
        {
            await then(channel).ConfigureAwait(false);
        }
    }

    private Task DeclareQueueAsync(IChannel channel, string name, Dictionary<string, object?> arguments, CancellationToken cancellationToken) =>
        DeclareAsync(channel, EntityDeclaration.Queue, name, EntityDeclaration.DurableQueue(arguments), cancellationToken);

    private Task DeclareAsync(IChannel channel, string kind, string name, Dictionary<string, object?> definition, CancellationToken cancellationToken) =>
        EntityDeclaration.DeclareAsync(Channel, channel, _virtualHost, kind, name, definition, cancellationToken);

    [LoggerMessage(EventId = 1600, Level = LogLevel.Warning, Message = "Queue {Queue} was declared without x-delivery-limit (by an earlier version, or by hand) and is used as it is: a message RabbitMQ.Client cannot decode would come back to its consumer for ever. Set a delivery-limit policy on it, or delete it so that it is declared again with Messaging:RabbitMq:DeliveryLimit")]
    private static partial void LogWithoutDeliveryLimit(ILogger logger, string queue);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "Dead-letter queue {Queue} was declared with x-delivery-limit (by an earlier version) and is used as it is: peeking it is refused, since each peek counts as a delivery and the broker would drop its letters at the limit. Once it is empty, delete it so that it is declared again without the limit")]
    private static partial void LogDeadLettersWithDeliveryLimit(ILogger logger, string queue);
}

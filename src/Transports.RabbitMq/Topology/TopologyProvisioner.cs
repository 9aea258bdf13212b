using System.Collections.Concurrent;
using System.Globalization;
using Messaging.Adapters.RabbitMq.Connection;
using Messaging.Adapters.RabbitMq.Publishing;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// Declares and deletes what the transport uses on the broker, idempotently, and remembers what it declared so that
/// each entity costs one round trip per process; a declaration that conflicts with an existing entity becomes a
/// <see cref="TopologyConflictException"/> naming the entity and both argument sets.
/// </summary>
/// <remarks>
/// <para>Every queue has one canonical definition, whichever way it is reached (sent to, consumed, subscribed, a
/// dead-letter queue consumed as a queue): durable, of <see cref="RabbitMqTransportOptions.QueueType"/>, and
/// dead-lettering through <see cref="DeadLetterExchange"/> with its own name as routing key. So declaring it again
/// from anywhere never conflicts.</para>
/// <para>Topology operations share one channel on the consuming connection, one at a time; a channel the broker closes
/// for a refused operation is replaced.</para>
/// </remarks>
internal sealed class TopologyProvisioner : IAsyncDisposable
{
    /// <summary>The direct exchange every dead letter goes through, routed by its source queue's name.</summary>
    public const string DeadLetterExchange = "messaging.dead-letter";

    private const string CheckpointSuffix = ".checkpoint";
    private const string ReaderLockSuffix = ".reader";
    private const string ActiveConsumerSuffix = ".active-consumer";
    private const string RetryInfix = ".retry.";

    // Retry queues expire an hour after their last declaration, which is renewed at least every half hour while
    // they are used, so a message never waits in a retry queue that is about to expire.
    private static readonly TimeSpan RetryQueueExpiryMargin = TimeSpan.FromHours(1);
    private static readonly TimeSpan RetryQueueRenewal = TimeSpan.FromMinutes(30);

    private readonly RabbitMqConnection _connection;
    private readonly RabbitMqTransportOptions _options;
    private readonly string _virtualHost;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, DateTime> _declared = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Dictionary<string, Dictionary<string, object?>>> _bindings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<long, byte>> _retryDelays = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _readerGroups = new(StringComparer.Ordinal);
    private IChannel? _channel;

    public TopologyProvisioner(RabbitMqConnection connection, RabbitMqTransportOptions options, string virtualHost)
    {
        _connection = connection;
        _options = options;
        _virtualHost = virtualHost;
    }

    /// <summary>The queue that holds a stream reader group's checkpoint.</summary>
    public static string CheckpointQueue(string stream, string group) => stream + "." + group + CheckpointSuffix;

    /// <summary>The single-active-consumer queue that elects a stream reader group's active reader.</summary>
    public static string ReaderLockQueue(string stream, string group) => stream + "." + group + ReaderLockSuffix;

    /// <summary>The single-active-consumer queue that elects the active consumer of a queue consumed in key order.</summary>
    public static string ActiveConsumerQueue(string queue) => queue + ActiveConsumerSuffix;

    /// <summary>The dead-letter source of a stream reader group: its dead letters go to <c>&lt;stream&gt;.&lt;group&gt;.dead-letter</c>.</summary>
    public static string ReaderGroupSource(string stream, string group) => stream + "." + group;

    /// <summary>The queue a delayed retry of <paramref name="queue"/> waits in.</summary>
    public static string RetryQueue(string queue, TimeSpan delay) => queue + RetryInfix + DelayMilliseconds(delay).ToString(CultureInfo.InvariantCulture);

    /// <summary>Checks a topic, subscription, queue or stream name: the portable rule, and RabbitMQ's reservation of <c>amq.</c>.</summary>
    /// <param name="name">The name.</param>
    /// <param name="kind">What it names.</param>
    /// <param name="paramName">The parameter that carried it.</param>
    /// <exception cref="ArgumentException">The name is invalid; the message names it and the rule.</exception>
    public static void ValidateName(string name, string kind, string paramName)
    {
        DestinationNames.Validate(name, kind, paramName);
        if (name.StartsWith("amq.", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid {kind} name '{name}': RabbitMQ reserves names starting with 'amq.' for the broker.", paramName);
        }
    }

    public Task EnsureTopicAsync(string topic, CancellationToken cancellationToken, bool force = false) =>
        OnceAsync("exchange:" + topic, force, channel => DeclareExchangeAsync(channel, topic, ExchangeType.Headers, cancellationToken), cancellationToken);

    /// <summary>Declares a queue with its dead-letter queue (the queue first, so a conflicting queue leaves nothing behind).</summary>
    public async Task EnsureQueueAsync(string queue, CancellationToken cancellationToken, bool force = false)
    {
        await OnceAsync("queue:" + queue, force, channel => DeclareQueueAsync(channel, queue, QueueArguments(queue), cancellationToken), cancellationToken).ConfigureAwait(false);
        await EnsureDeadLetterQueueAsync(queue, cancellationToken, force).ConfigureAwait(false);
    }

    /// <summary>Declares the dead-letter exchange, <c>&lt;source&gt;.dead-letter</c> and the binding between them.</summary>
    public async Task EnsureDeadLetterQueueAsync(string source, CancellationToken cancellationToken, bool force = false)
    {
        var deadLetterQueue = source + DestinationNames.DeadLetterSuffix;
        await OnceAsync("exchange:" + DeadLetterExchange, force, channel => DeclareExchangeAsync(channel, DeadLetterExchange, ExchangeType.Direct, cancellationToken), cancellationToken).ConfigureAwait(false);
        await OnceAsync("dead-letter:" + source, force, async channel =>
        {
            await DeclareQueueAsync(channel, deadLetterQueue, QueueArguments(deadLetterQueue), cancellationToken).ConfigureAwait(false);
            await channel.QueueBindAsync(deadLetterQueue, DeadLetterExchange, source, null, false, cancellationToken).ConfigureAwait(false);
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
        var wanted = BindingArguments(filter).ToDictionary(ArgumentsKey, StringComparer.Ordinal);
        await RunAsync(async channel =>
        {
            var known = _bindings.GetOrAdd(queue, _ => new(StringComparer.Ordinal));
            foreach (var (key, arguments) in wanted)
            {
                if (!known.ContainsKey(key))
                {
                    await channel.QueueBindAsync(queue, topic, string.Empty, arguments, false, cancellationToken).ConfigureAwait(false);
                }
            }

            var matchAll = ArgumentsKey([]);
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
        OnceAsync("stream:" + stream, force, channel => DeclareQueueAsync(channel, stream, new() { ["x-queue-type"] = "stream" }, cancellationToken), cancellationToken);

    /// <summary>Declares a reader group's checkpoint queue and dead-letter queue.</summary>
    public async Task EnsureReaderGroupAsync(string stream, string group, CancellationToken cancellationToken, bool force = false)
    {
        _readerGroups.GetOrAdd(stream, _ => new(StringComparer.Ordinal))[group] = 0;
        await EnsureDeadLetterQueueAsync(ReaderGroupSource(stream, group), cancellationToken, force).ConfigureAwait(false);
        var checkpoint = CheckpointQueue(stream, group);
        await OnceAsync("checkpoint:" + checkpoint, force, channel => DeclareQueueAsync(channel, checkpoint, CheckpointArguments(), cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Declares the retry queue of a delay, renewing its expiry lease while it is in use.</summary>
    public Task EnsureRetryQueueAsync(string queue, TimeSpan delay, CancellationToken cancellationToken, bool force = false)
    {
        var name = RetryQueue(queue, delay);
        _retryDelays.GetOrAdd(queue, _ => new())[DelayMilliseconds(delay)] = 0;
        var key = "retry:" + name;
        var stale = _declared.TryGetValue(key, out var at) && DateTime.UtcNow - at > RetryQueueRenewal;
        return OnceAsync(key, force || stale, channel => DeclareQueueAsync(channel, name, RetryArguments(queue, delay), cancellationToken), cancellationToken);
    }

    /// <summary>Reads the stream offset stored in a checkpoint queue, leaving it there.</summary>
    public async Task<long?> ReadCheckpointAsync(string checkpointQueue, CancellationToken cancellationToken)
    {
        long? offset = null;
        await RunAsync(async channel =>
        {
            var result = await channel.BasicGetAsync(checkpointQueue, false, cancellationToken).ConfigureAwait(false);
            if (result is null)
            {
                return;
            }

            await channel.BasicNackAsync(result.DeliveryTag, false, true, cancellationToken).ConfigureAwait(false);
            if (long.TryParse(System.Text.Encoding.UTF8.GetString(result.Body.Span), NumberStyles.None, CultureInfo.InvariantCulture, out var stored))
            {
                offset = stored;
            }
        }, cancellationToken).ConfigureAwait(false);
        return offset;
    }

    /// <summary>Deletes a queue (or a subscription's queue) with its dead-letter queue, and what this process
    /// declared for it: the retry queues it used and the dead-letter queues of its dead-letter queue (made when a
    /// dead-letter queue was consumed as a queue).</summary>
    public Task DeleteQueueAsync(string queue, CancellationToken cancellationToken) =>
        DeleteQueuesAsync(QueueFamily(queue), cancellationToken);

    private List<string> QueueFamily(string queue)
    {
        var deadLetter = queue + DestinationNames.DeadLetterSuffix;
        var names = new List<string> { queue, deadLetter };
        names.AddRange(_declared.Keys
            .Select(k => k.StartsWith("dead-letter:", StringComparison.Ordinal) ? k["dead-letter:".Length..] : null)
            .Where(source => source == deadLetter || source?.StartsWith(deadLetter + ".", StringComparison.Ordinal) == true)
            .Select(source => source + DestinationNames.DeadLetterSuffix));
        foreach (var source in names.ToList())
        {
            if (_retryDelays.TryRemove(source, out var delays))
            {
                names.AddRange(delays.Keys.Select(ms => RetryQueue(source, TimeSpan.FromMilliseconds(ms))));
            }

            _bindings.TryRemove(source, out _);
        }

        return names.Distinct(StringComparer.Ordinal).ToList();
    }

    private Task DeleteQueuesAsync(List<string> names, CancellationToken cancellationToken)
    {
        foreach (var name in names)
        {
            Forget("queue:" + name, "dead-letter:" + name, "retry:" + name, "checkpoint:" + name, "stream:" + name);
        }

        return RunAsync(async channel =>
        {
            foreach (var name in names)
            {
                await channel.QueueDeleteAsync(name, false, false, false, cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    public Task DeleteTopicAsync(string topic, CancellationToken cancellationToken)
    {
        Forget("exchange:" + topic);
        foreach (var queue in _bindings.Keys.Where(q => q.StartsWith(topic + ".", StringComparison.Ordinal)))
        {
            _bindings.TryRemove(queue, out _);
        }

        return RunAsync(channel => channel.ExchangeDeleteAsync(topic, false, false, cancellationToken), cancellationToken);
    }

    /// <summary>Deletes a stream with the checkpoint and dead-letter queues of the reader groups this process used.</summary>
    public Task DeleteStreamAsync(string stream, CancellationToken cancellationToken)
    {
        var names = new List<string> { stream };
        if (_readerGroups.TryRemove(stream, out var groups))
        {
            foreach (var group in groups.Keys)
            {
                Forget("dead-letter:" + ReaderGroupSource(stream, group));
                names.Add(CheckpointQueue(stream, group));
                names.AddRange(QueueFamily(ReaderGroupSource(stream, group)).Skip(1));
            }
        }

        return DeleteQueuesAsync(names, cancellationToken);
    }

    /// <summary>Runs topology operations on the shared topology channel, one caller at a time.</summary>
    public async Task RunAsync(Func<IChannel, Task> operation, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var channel = await GetChannelAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await operation(channel).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (BrokerErrors.IsChannelRefusal(ex, out _))
                {
                    // The broker closed the channel over this operation; the next one gets a new channel.
                    await DiscardChannelAsync().ConfigureAwait(false);
                    throw;
                }
                catch (Exception ex) when (BrokerErrors.IsConnectionLoss(ex) && ex is not ObjectDisposedException)
                {
                    // Declarations are idempotent: run them again once the connection is back.
                    if (!await _connection.WaitUntilUsableAsync(_options.PublishTimeout, cancellationToken).ConfigureAwait(false))
                    {
                        throw _connection.Unavailable(_options.PublishTimeout);
                    }
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _channel, null) is { } channel)
        {
            await PublishChannelPool.CloseQuietlyAsync(channel).ConfigureAwait(false);
        }
    }

    /// <summary>The canonical arguments of every queue the transport declares for messages.</summary>
    internal Dictionary<string, object?> QueueArguments(string queue) => new()
    {
        ["x-queue-type"] = QueueTypeArgument,
        ["x-dead-letter-exchange"] = DeadLetterExchange,
        ["x-dead-letter-routing-key"] = queue,
    };

    /// <summary>The binding arguments of a filter: one <c>x-match: all</c> binding per message type (or one without
    /// a type), with the filter's headers; no filter binds with no arguments, which matches every message. Header
    /// names starting with <c>x-</c> are left out because RabbitMQ's headers exchange ignores them; the consumer
    /// checks those.</summary>
    internal static IEnumerable<Dictionary<string, object?>> BindingArguments(SubscriptionFilter? filter)
    {
        if (filter is null || (filter.MessageTypes.Count == 0 && filter.Headers.Count == 0))
        {
            yield return [];
            yield break;
        }

        var types = filter.MessageTypes.Count == 0 ? new string?[] { null } : filter.MessageTypes.Distinct(StringComparer.Ordinal).ToArray<string?>();
        foreach (var type in types)
        {
            var arguments = new Dictionary<string, object?>(StringComparer.Ordinal) { ["x-match"] = "all" };
            if (type is not null)
            {
                arguments[AmqpEnvelope.TypeHeader] = type;
            }

            foreach (var (name, value) in filter.Headers)
            {
                if (!name.StartsWith("x-", StringComparison.Ordinal))
                {
                    arguments[name] = value;
                }
            }

            yield return arguments;
        }
    }

    /// <summary>Describes a definition for conflict messages: every argument, sorted, values quoted.</summary>
    internal static string DescribeDefinition(IReadOnlyDictionary<string, object?> definition) =>
        "{" + string.Join(", ", definition.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={Show(a.Value)}")) + "}";

    private string QueueTypeArgument => _options.QueueType == RabbitMqQueueType.Quorum ? "quorum" : "classic";

    private Dictionary<string, object?> CheckpointArguments() => new()
    {
        ["x-queue-type"] = QueueTypeArgument,
        ["x-max-length"] = 1L,
        ["x-overflow"] = "drop-head",
        ["x-expires"] = (long)_options.CheckpointRetention.TotalMilliseconds,
    };

    private Dictionary<string, object?> RetryArguments(string queue, TimeSpan delay)
    {
        var ttl = DelayMilliseconds(delay);
        var arguments = new Dictionary<string, object?>
        {
            ["x-queue-type"] = QueueTypeArgument,
            ["x-message-ttl"] = ttl,
            ["x-dead-letter-exchange"] = string.Empty,
            ["x-dead-letter-routing-key"] = queue,
            ["x-expires"] = ttl + (long)RetryQueueExpiryMargin.TotalMilliseconds,
        };
        if (_options.QueueType == RabbitMqQueueType.Quorum)
        {
            // Quorum queues dead-letter at most once unless told otherwise; a retry must not be lost on its way back.
            arguments["x-dead-letter-strategy"] = "at-least-once";
            arguments["x-overflow"] = "reject-publish";
        }

        return arguments;
    }

    private static long DelayMilliseconds(TimeSpan delay) => Math.Max(1, (long)Math.Ceiling(delay.TotalMilliseconds));

    private static string ArgumentsKey(Dictionary<string, object?> arguments) =>
        string.Join("\u0001", arguments.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "\u0002" + a.Value));

    private static string Show(object? value) => value switch
    {
        null => "none",
        string text => $"'{text}'",
        bool flag => flag ? "true" : "false",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "?",
    };

    private void Forget(params string[] keys)
    {
        foreach (var key in keys)
        {
            _declared.TryRemove(key, out _);
        }
    }

    private async Task OnceAsync(string key, bool force, Func<IChannel, Task> declare, CancellationToken cancellationToken)
    {
        if (!force && _declared.ContainsKey(key))
        {
            return;
        }

        await RunAsync(declare, cancellationToken).ConfigureAwait(false);
        _declared[key] = DateTime.UtcNow;
    }

    private async Task<IChannel> GetChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        await DiscardChannelAsync().ConfigureAwait(false);
        _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(false, false), _options.PublishTimeout, cancellationToken).ConfigureAwait(false);
        return _channel;
    }

    private async Task DiscardChannelAsync()
    {
        if (_channel is { } channel)
        {
            _channel = null;
            await PublishChannelPool.CloseQuietlyAsync(channel).ConfigureAwait(false);
        }
    }

    private Task DeclareExchangeAsync(IChannel channel, string name, string type, CancellationToken cancellationToken) =>
        DeclareAsync(channel, "exchange", name, new Dictionary<string, object?> { ["type"] = type, ["durable"] = true }, cancellationToken);

    private Task DeclareQueueAsync(IChannel channel, string name, Dictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        var definition = new Dictionary<string, object?>(arguments, StringComparer.Ordinal) { ["durable"] = true };
        return DeclareAsync(channel, "queue", name, definition, cancellationToken);
    }

    /// <summary>Declares an entity from its flat definition (declare flags and arguments in one map, as the
    /// broker's PRECONDITION_FAILED texts name them).</summary>
    private async Task DeclareAsync(IChannel channel, string kind, string name, Dictionary<string, object?> definition, CancellationToken cancellationToken)
    {
        try
        {
            await DeclareDefinitionAsync(channel, kind, name, definition, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (BrokerErrors.IsChannelRefusal(ex, out var code) && code == BrokerErrors.PreconditionFailed)
        {
            throw await DescribeConflictAsync(kind, name, definition, ex, cancellationToken).ConfigureAwait(false);
        }
    }

    private static Task DeclareDefinitionAsync(IChannel channel, string kind, string name, Dictionary<string, object?> definition, CancellationToken cancellationToken)
    {
        var durable = definition.TryGetValue("durable", out var d) && d is true;
        var autoDelete = definition.TryGetValue("auto_delete", out var a) && a is true;
        var arguments = definition.Where(p => p.Key is not ("durable" or "auto_delete" or "type" or "exclusive") && p.Value is not null)
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return kind == "exchange"
            ? channel.ExchangeDeclareAsync(name, (string)definition["type"]!, durable, autoDelete, arguments.Count == 0 ? null : arguments, false, false, cancellationToken)
            : channel.QueueDeclareAsync(name, durable, false, autoDelete, arguments, false, false, cancellationToken);
    }

    /// <summary>Learns the existing definition from the broker's answers: each PRECONDITION_FAILED names one
    /// differing argument and its current value; declaring again with that value reveals the next, until the
    /// declaration matches (which changes nothing, the entity existing already).</summary>
    private async Task<TopologyConflictException> DescribeConflictAsync(string kind, string name, Dictionary<string, object?> requested, Exception first, CancellationToken cancellationToken)
    {
        var existing = new Dictionary<string, object?>(requested, StringComparer.Ordinal);
        var error = first;
        var complete = false;
        for (var round = 0; round < 16; round++)
        {
            if (BrokerErrors.ReasonOf(error) is not { } reason || !BrokerErrors.TryReadInequivalentArgument(reason.ReplyText, out var difference))
            {
                break;
            }

            if (difference.Current is null)
            {
                existing.Remove(difference.Argument);
            }
            else
            {
                existing[difference.Argument] = difference.Current;
            }

            // The refused declaration closed the channel.
            await DiscardChannelAsync().ConfigureAwait(false);
            try
            {
                var channel = await GetChannelAsync(cancellationToken).ConfigureAwait(false);
                await DeclareDefinitionAsync(channel, kind, name, existing, cancellationToken).ConfigureAwait(false);
                complete = true;
                break;
            }
            catch (Exception ex) when (BrokerErrors.IsChannelRefusal(ex, out var code) && code == BrokerErrors.PreconditionFailed)
            {
                error = ex;
            }
        }

        await DiscardChannelAsync().ConfigureAwait(false);
        var existingText = DescribeDefinition(existing) + (complete ? string.Empty : " (as far as the broker told)");
        return new TopologyConflictException(name, $"{(kind == "exchange" ? "an" : "a")} {kind} in virtual host '{_virtualHost}' with {existingText}", $"{kind} with {DescribeDefinition(requested)}", first);
    }
}

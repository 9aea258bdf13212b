using Messaging.Adapters.RabbitMq.Connection;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Messaging.Adapters.RabbitMq.Publishing;

/// <summary>
/// Where one publish goes, and how to create it when the broker says it is missing.
/// </summary>
/// <param name="Exchange">The exchange (<c>""</c> for the default exchange).</param>
/// <param name="RoutingKey">The routing key (a queue's name on the default exchange).</param>
/// <param name="Mandatory">Whether an unroutable message is returned (an error) rather than dropped.</param>
/// <param name="Destination">The queue, topic or stream, for errors.</param>
/// <param name="Kind">What <paramref name="Destination"/> is: <c>queue</c>, <c>topic</c>, <c>stream</c>.</param>
/// <param name="Provision">Declares the destination again after the broker reported it missing; <see langword="null"/> when
/// the transport must not create it.</param>
/// <param name="StampAppendTime">Whether to stamp <see cref="AmqpEnvelope.AppendedAtHeader"/> (stream appends).</param>
internal readonly record struct PublishTarget(
    string Exchange,
    string RoutingKey,
    bool Mandatory,
    string Destination,
    string Kind,
    Func<CancellationToken, Task>? Provision,
    bool StampAppendTime = false);

/// <summary>
/// The channels publishes go through, with publisher confirms tracked by <see cref="PublishConfirms"/>: a publish
/// completes only when the broker confirmed it, and is sent again after a lost connection has recovered.
/// </summary>
/// <remarks>
/// <para>Several publishes share a channel, each awaiting its own confirm, so one channel carries many in flight. A
/// batch goes through one channel, sent in order without waiting between messages, then its confirms are awaited
/// together.</para>
/// <para>When the connection is lost before a confirm arrives, the outcome is unknown; the message is published again
/// once the connection has recovered (so it may arrive twice, never not at all), until
/// <see cref="RabbitMqTransportOptions.PublishTimeout"/> has passed since the call began.</para>
/// </remarks>
internal sealed partial class PublishChannelPool : IAsyncDisposable
{
    private readonly RabbitMqConnection _connection;
    private readonly RabbitMqTransportOptions _options;
    private readonly string _source;
    private readonly string _virtualHost;
    private readonly ILogger _logger;
    private static readonly int[] OnlyFirst = [0];

    private readonly Slot[] _slots;
    private int _next;

    public PublishChannelPool(RabbitMqConnection connection, RabbitMqTransportOptions options, string source, string virtualHost, ILogger logger)
    {
        _connection = connection;
        _options = options;
        _source = source;
        _virtualHost = virtualHost;
        _logger = logger;
        _slots = new Slot[options.PublishChannels];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new Slot();
        }
    }

    /// <summary>Publishes one message and waits for its confirm.</summary>
    /// <param name="target">Where it goes.</param>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the wait; the message may still be published.</param>
    /// <param name="nativeHeaders">For a retry or dead letter, the AMQP headers of the delivery it comes from (see
    /// <see cref="AmqpEnvelope.ToProperties"/>).</param>
    /// <returns>A task that completes when the broker confirmed the message.</returns>
    public Task SendAsync(PublishTarget target, Envelope message, CancellationToken cancellationToken, IDictionary<string, object?>? nativeHeaders = null) =>
        SendCoreAsync(target, [message], batch: false, cancellationToken, nativeHeaders);

    /// <summary>Publishes messages in order and waits for all their confirms.</summary>
    /// <param name="target">Where they go.</param>
    /// <param name="messages">The messages.</param>
    /// <param name="cancellationToken">Cancels the wait; some may still be published.</param>
    /// <returns>A task that completes when the broker confirmed every message.</returns>
    /// <exception cref="BatchPublishException">Some were not confirmed; it lists them.</exception>
    public Task SendBatchAsync(PublishTarget target, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken) =>
        messages.Count == 0 ? Task.CompletedTask : SendCoreAsync(target, messages, batch: true, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var slot in _slots)
        {
            if (Interlocked.Exchange(ref slot.Confirms, null) is { } confirms)
            {
                await CloseQuietlyAsync(confirms.Channel).ConfigureAwait(false);
            }
        }
    }

    internal static async Task CloseQuietlyAsync(IChannel channel)
    {
        try
        {
            if (channel.IsOpen)
            {
                await channel.CloseAsync(Constants.ReplySuccess, "closed by Messaging.Adapters", false, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (BrokerErrors.IsConnectionLoss(ex) || BrokerErrors.IsChannelRefusal(ex, out _))
        {
            // Closing a channel whose connection is gone: nothing to do.
        }
        finally
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task SendCoreAsync(PublishTarget target, IReadOnlyList<Envelope> messages, bool batch, CancellationToken cancellationToken, IDictionary<string, object?>? nativeHeaders = null)
    {
        var timeout = _options.PublishTimeout;
        var deadline = DateTime.UtcNow + timeout;
        var slot = _slots[(int)((uint)Interlocked.Increment(ref _next) % (uint)_slots.Length)];
        IReadOnlyList<int> pending = messages.Count == 1 ? OnlyFirst : Enumerable.Range(0, messages.Count).ToArray();
        var provisioned = false;
        while (true)
        {
            var channel = await GetChannelAsync(slot, deadline, cancellationToken).ConfigureAwait(false);
            var appendedAt = target.StampAppendTime ? DateTimeOffset.UtcNow : (DateTimeOffset?)null;
            var confirms = new Task[pending.Count];
            for (var i = 0; i < confirms.Length; i++)
            {
                confirms[i] = PublishOne(channel, target, messages[pending[i]], appendedAt, nativeHeaders);
            }

            try
            {
                await (confirms.Length == 1 ? confirms[0] : Task.WhenAll(confirms)).WaitAsync(Remaining(deadline), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (TimeoutException)
            {
                var unconfirmed = pending.Where((_, i) => !confirms[i].IsCompletedSuccessfully).ToList();
                throw Fail(batch, target, messages, unconfirmed, new TransportUnavailableException(
                    $"RabbitMQ did not confirm {Describe(messages, unconfirmed)} to {target.Kind} '{target.Destination}' within {timeout.TotalSeconds:0.#} s (Messaging:RabbitMq:PublishTimeout); it may or may not have been delivered.",
                    isTransient: true));
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested && confirms.All(c => c.IsCompleted))
            {
                // Inspected below, message by message.
            }

            var failed = new List<int>();
            Exception? first = null;
            for (var i = 0; i < confirms.Length; i++)
            {
                if (!confirms[i].IsCompletedSuccessfully)
                {
                    failed.Add(pending[i]);
                    first ??= confirms[i].Exception?.GetBaseException() ?? new OperationCanceledException();
                }
            }

            var error = first!;
            if (IsUnroutable(error))
            {
                if (target.Provision is not null && !provisioned)
                {
                    // Deleted behind the transport's back (its declaration is cached): declare it again, once.
                    provisioned = true;
                    await target.Provision(cancellationToken).ConfigureAwait(false);
                    pending = failed;
                    continue;
                }

                throw Fail(batch, target, messages, failed, Unroutable(target, messages[failed[0]].Id, error));
            }

            if (error is PublishRefusedException)
            {
                throw Fail(batch, target, messages, failed, new TransportUnavailableException(
                    $"RabbitMQ refused (nacked) {Describe(messages, failed)} to {target.Kind} '{target.Destination}': the broker could not take it (for example a full queue with reject-publish, or no quorum). Nothing is known to be delivered.",
                    isTransient: true,
                    error));
            }

            if (BrokerErrors.IsChannelRefusal(error, out _))
            {
                throw Fail(batch, target, messages, failed, new MessagingException(
                    $"RabbitMQ refused the publish of {Describe(messages, failed)} to {target.Kind} '{target.Destination}': {BrokerErrors.Describe(error)}",
                    error));
            }

            if (!BrokerErrors.IsConnectionLoss(error))
            {
                throw Fail(batch, target, messages, failed, error);
            }

            LogRepublishing(_logger, failed.Count, target.Kind, target.Destination, error.Message);
            if (!await _connection.WaitUntilUsableAsync(Remaining(deadline), cancellationToken).ConfigureAwait(false))
            {
                throw Fail(batch, target, messages, failed, new TransportUnavailableException(
                    $"The connection to RabbitMQ was lost before {Describe(messages, failed)} to {target.Kind} '{target.Destination}' was confirmed, and it did not recover within {timeout.TotalSeconds:0.#} s (Messaging:RabbitMq:PublishTimeout); it may or may not have been delivered.",
                    isTransient: true,
                    error));
            }

            pending = failed;
        }
    }

    private Task PublishOne(PublishConfirms channel, PublishTarget target, Envelope message, DateTimeOffset? appendedAt, IDictionary<string, object?>? nativeHeaders)
    {
        try
        {
            var properties = AmqpEnvelope.ToProperties(message, _source, appendedAt, nativeHeaders);
            _options.CustomizeProperties?.Invoke(properties, message);
            return channel.PublishAsync(target.Exchange, target.RoutingKey, target.Mandatory, properties, message.Body);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Task.FromException(ex);
        }
    }

    private async ValueTask<PublishConfirms> GetChannelAsync(Slot slot, DateTime deadline, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref slot.Confirms) is { Channel.IsOpen: true } open && _connection.IsUsable)
        {
            return open;
        }

        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var confirms = slot.Confirms;
                var channel = confirms?.Channel;
                if (channel is not null && !_connection.IsUsable)
                {
                    // The connection is recovering: its channels come back with it.
                    if (!await _connection.WaitUntilUsableAsync(Remaining(deadline), cancellationToken).ConfigureAwait(false))
                    {
                        throw _connection.Unavailable(_options.PublishTimeout);
                    }

                    continue;
                }

                if (channel is { IsOpen: true })
                {
                    return confirms!;
                }

                // Never opened, or closed by the broker for a refused operation (channels closed that way are not recovered).
                slot.Confirms = null;
                if (channel is not null)
                {
                    await CloseQuietlyAsync(channel).ConfigureAwait(false);
                }

                var created = PublishConfirms.Track(await _connection.CreateChannelAsync(PublishConfirms.ChannelOptions, Remaining(deadline), cancellationToken).ConfigureAwait(false));
                Volatile.Write(ref slot.Confirms, created);
                return created;
            }
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private static bool IsUnroutable(Exception error) =>
        error is PublishRefusedException { IsReturn: true }
        || (BrokerErrors.IsChannelRefusal(error, out var code) && code == BrokerErrors.NotFound);

    private RabbitMqDestinationNotFoundException Unroutable(PublishTarget target, string messageId, Exception error)
    {
        var missing = target.Exchange.Length == 0
            ? $"there is no {target.Kind} '{target.Destination}' in virtual host '{_virtualHost}'"
            : $"there is no exchange for {target.Kind} '{target.Destination}' in virtual host '{_virtualHost}'";
        var advice = target.Provision is null
            ? $"Messaging:RabbitMq:ProvisionOnFirstUse is off, so the transport does not create it: create it with ITopology.EnsureAsync, or turn provisioning on."
            : "The transport declared it again and the broker still could not route the message.";
        return new RabbitMqDestinationNotFoundException(target.Destination, messageId, $"RabbitMQ could not route message '{messageId}': {missing}. {advice}", error);
    }

    private static Exception Fail(bool batch, PublishTarget target, IReadOnlyList<Envelope> messages, List<int> unconfirmed, Exception error) =>
        batch ? new BatchPublishException(target.Destination, unconfirmed.Select(i => messages[i].Id).ToList(), error) : error;

    private static string Describe(IReadOnlyList<Envelope> messages, List<int> indexes) =>
        indexes.Count == 1 ? $"message '{messages[indexes[0]].Id}'" : $"{indexes.Count} messages (first '{messages[indexes[0]].Id}')";

    private static TimeSpan Remaining(DateTime deadline)
    {
        var remaining = deadline - DateTime.UtcNow;
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Connection lost before {Count} publish(es) to {Kind} {Destination} were confirmed ({Problem}); publishing them again after recovery")]
    private static partial void LogRepublishing(ILogger logger, int count, string kind, string destination, string problem);

    // The gate lives as long as the pool; SemaphoreSlim needs disposing only when its wait handle was used.
#pragma warning disable CA1001
    private sealed class Slot
#pragma warning restore CA1001
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public PublishConfirms? Confirms;
    }
}

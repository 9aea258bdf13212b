using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Messaging.Adapters.RabbitMq.Publishing;

/// <summary>
/// Publisher confirms and returns of one channel, tracked here rather than by RabbitMQ.Client: the client's own
/// tracking writes its sequence number into every message as the header <c>x-dotnet-pub-seq-no</c> (to find a
/// <c>basic.return</c>'s publish), which every consumer of the message then reads. Here a return is matched by the
/// message id it carries, and nothing is added to the message.
/// </summary>
/// <remarks>
/// <para>The broker sends a mandatory message's <c>basic.return</c> before its <c>basic.ack</c>, and the client
/// raises a channel's events in the order they arrived: a return marks the oldest unconfirmed publish with that
/// message id, and its ack then completes it as returned (unroutable).</para>
/// <para>When the channel shuts down (a lost connection, or the broker closing it for a refused publish), every
/// unconfirmed publish fails with the shutdown's reason; its outcome is unknown. A recovered channel numbers its
/// publishes from 1 again, and nothing is pending across the shutdown.</para>
/// </remarks>
// The gate lives as long as the channel; SemaphoreSlim needs disposing only when its wait handle was used.
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "SemaphoreSlim without a wait handle holds nothing to dispose.")]
internal sealed class PublishConfirms
{
    private readonly SemaphoreSlim _publishing = new(1, 1);
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, Pending> _pending = [];
    private readonly Dictionary<string, Queue<ulong>> _mandatoryById = new(StringComparer.Ordinal);
    private ulong _lowest = ulong.MaxValue;

    private PublishConfirms(IChannel channel)
    {
        Channel = channel;
        channel.BasicAcksAsync += (_, args) => Settle(args.DeliveryTag, args.Multiple, nacked: false);
        channel.BasicNacksAsync += (_, args) => Settle(args.DeliveryTag, args.Multiple, nacked: true);
        channel.BasicReturnAsync += (_, args) => Returned(args);
        channel.ChannelShutdownAsync += (_, args) => ShutDown(args);
    }

    /// <summary>The channel, opened with publisher confirms on and the client's confirm tracking off.</summary>
    public IChannel Channel { get; }

    /// <summary>The options a channel this class tracks must be created with.</summary>
    public static CreateChannelOptions ChannelOptions { get; } = new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: false);

    /// <summary>Starts tracking a channel created with <see cref="ChannelOptions"/>.</summary>
    public static PublishConfirms Track(IChannel channel) => new(channel);

    /// <summary>Publishes a message and completes when the broker confirmed it.</summary>
    /// <exception cref="PublishRefusedException">The broker returned (unroutable) or nacked it.</exception>
    /// <exception cref="OperationInterruptedException">The channel shut down before the confirm.</exception>
    public async Task PublishAsync(string exchange, string routingKey, bool mandatory, BasicProperties properties, ReadOnlyMemory<byte> body)
    {
        var pending = new Pending(mandatory ? properties.MessageId ?? "" : null);
        // Not cancellable on purpose: a publish cancelled half-way through its frames would break the channel; the
        // caller's token cancels only the wait for the confirm. The gate keeps the sequence number read and the
        // publish together when several publishes share the channel.
        await _publishing.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        ulong sequence = 0;
        try
        {
            sequence = await Channel.GetNextPublishSequenceNumberAsync(CancellationToken.None).ConfigureAwait(false);
            Add(sequence, pending);
            await Channel.BasicPublishAsync(exchange, routingKey, mandatory, properties, body, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (sequence != 0)
            {
                Remove(sequence);
            }

            pending.Completion.TrySetException(ex);
        }
        finally
        {
            _publishing.Release();
        }

        await pending.Completion.Task.ConfigureAwait(false);
    }

    private void Add(ulong sequence, Pending pending)
    {
        lock (_gate)
        {
            _pending[sequence] = pending;
            _lowest = Math.Min(_lowest, sequence);
            if (pending.MandatoryId is { } id)
            {
                if (!_mandatoryById.TryGetValue(id, out var sequences))
                {
                    _mandatoryById[id] = sequences = new Queue<ulong>(1);
                }

                sequences.Enqueue(sequence);
            }
        }
    }

    private Pending? Remove(ulong sequence)
    {
        lock (_gate)
        {
            return Take(sequence);
        }
    }

    /// <summary>Removes one pending publish; the caller holds the gate.</summary>
    private Pending? Take(ulong sequence)
    {
        if (!_pending.Remove(sequence, out var pending))
        {
            return null;
        }

        if (pending.MandatoryId is { } id && _mandatoryById.TryGetValue(id, out var sequences))
        {
            // Confirms of one id come in publish order unless they are nacked singly; drop this one wherever it is.
            if (sequences.Count == 1 || sequences.Peek() == sequence)
            {
                sequences.Dequeue();
            }
            else
            {
                var rest = sequences.Where(s => s != sequence).ToArray();
                sequences.Clear();
                foreach (var s in rest)
                {
                    sequences.Enqueue(s);
                }
            }

            if (sequences.Count == 0)
            {
                _mandatoryById.Remove(id);
            }
        }

        return pending;
    }

    private Task Settle(ulong deliveryTag, bool multiple, bool nacked)
    {
        List<Pending> settled = [];
        lock (_gate)
        {
            if (multiple)
            {
                for (var sequence = _lowest; sequence <= deliveryTag && _pending.Count > 0; sequence++)
                {
                    if (Take(sequence) is { } pending)
                    {
                        settled.Add(pending);
                    }
                }
            }
            else if (Take(deliveryTag) is { } pending)
            {
                settled.Add(pending);
            }

            _lowest = _pending.Count == 0 ? ulong.MaxValue : (multiple ? Math.Max(_lowest, deliveryTag + 1) : _lowest);
        }

        foreach (var pending in settled)
        {
            if (pending.ReturnedWith is { } reply)
            {
                pending.Completion.TrySetException(new PublishRefusedException(returned: true, $"returned by the broker: {reply}"));
            }
            else if (nacked)
            {
                pending.Completion.TrySetException(new PublishRefusedException(returned: false, "nacked by the broker"));
            }
            else
            {
                pending.Completion.TrySetResult();
            }
        }

        return Task.CompletedTask;
    }

    private Task Returned(BasicReturnEventArgs args)
    {
        lock (_gate)
        {
            if (_mandatoryById.TryGetValue(args.BasicProperties.MessageId ?? "", out var sequences))
            {
                foreach (var sequence in sequences)
                {
                    if (_pending.TryGetValue(sequence, out var pending) && pending.ReturnedWith is null)
                    {
                        pending.ReturnedWith = $"{args.ReplyCode} {args.ReplyText}";
                        break;
                    }
                }
            }
        }

        return Task.CompletedTask;
    }

    private Task ShutDown(ShutdownEventArgs args)
    {
        List<Pending> failed;
        lock (_gate)
        {
            failed = [.. _pending.Values];
            _pending.Clear();
            _mandatoryById.Clear();
            _lowest = ulong.MaxValue;
        }

        foreach (var pending in failed)
        {
            pending.Completion.TrySetException(new AlreadyClosedException(args));
        }

        return Task.CompletedTask;
    }

    private sealed class Pending(string? mandatoryId)
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The message id a return is matched by; <see langword="null"/> when the publish is not mandatory.</summary>
        public string? MandatoryId { get; } = mandatoryId;

        /// <summary>The broker's reply when it returned the message (set before its ack arrives).</summary>
        public string? ReturnedWith { get; set; }
    }
}

/// <summary>The broker did not take a published message: it returned it (unroutable) or nacked it.</summary>
internal sealed class PublishRefusedException(bool returned, string message) : Exception(message)
{
    /// <summary>Whether the message was returned as unroutable (otherwise nacked).</summary>
    public bool IsReturn { get; } = returned;
}

using Messaging.Adapters.RabbitMq.Connection;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Messaging.Adapters.RabbitMq.Consuming;

/// <summary>
/// The connection one queue consumer reads on, and what it does about messages RabbitMQ.Client cannot decode.
/// </summary>
/// <remarks>
/// <para>RabbitMQ.Client 7 decodes a delivery's properties in its connection's one reader loop, before any consumer
/// code runs (<c>new ReadOnlyBasicProperties(...)</c> in <c>Channel.HandleBasicDeliverAsync</c>). A header the broker
/// accepted but the client cannot represent (an AMQP decimal with a scale above 28, a field type it does not know)
/// throws <see cref="SyntaxErrorException"/> there, and the client closes the <b>whole connection</b> (reply code 502):
/// no channel, consumer or delivery tag ever sees the message, so it can be neither rejected nor dead-lettered by the
/// consumer. The broker requeues it with the rest of the connection's unacknowledged messages and delivers it again
/// after the recovery, for ever. Hence:</para>
/// <list type="bullet">
/// <item><description>Each queue consumer has a connection of its own, so such a message disturbs only the consumer of
/// its own queue, never other queues' consumers of the process (they used to share one connection).</description></item>
/// <item><description>Quorum queues are declared with <c>x-delivery-limit</c>
/// (<see cref="RabbitMqTransportOptions.DeliveryLimit"/>): each dropped connection counts as a delivery, and past the
/// limit the broker dead-letters the message into the queue's dead-letter queue (reason <c>delivery_limit</c> in
/// <c>x-death</c>), so the queue moves on.</description></item>
/// <item><description>While such a message is about, the consumer takes <b>one message at a time</b> (prefetch 1): a
/// dropped connection returns every unacknowledged message with its delivery count raised, so with the full prefetch
/// the good messages delivered after the bad one would reach the limit with it. After the first drop the requeued
/// messages come back first, in order; one at a time, only the bad one is in flight when the connection drops again,
/// and it is again first when the consumer comes back. Careful mode ends when a session's first message decodes after
/// a drop in careful mode (the bad one is gone), or after <see cref="ConsumerOptions.MaxInFlight"/> good messages (it
/// was not among those the first drop returned); the session then stops consuming before it acknowledges that message
/// and a new one starts with the full prefetch.</description></item>
/// </list>
/// </remarks>
internal sealed partial class ConsumerConnection : IAsyncDisposable
{
    private readonly string _queue;
    private readonly int _maxInFlight;
    private readonly RabbitMqTransportOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Mode _mode;
    private int _decodedWhileCareful;
    private ConsumerSession? _carefulSession;

    public ConsumerConnection(RabbitMqConnection connection, string queue, int maxInFlight, RabbitMqTransportOptions options, ILogger logger)
    {
        Connection = connection;
        _queue = queue;
        _maxInFlight = maxInFlight;
        _options = options;
        _logger = logger;
        connection.Lost += OnLost;
    }

    private enum Mode
    {
        Normal,

        /// <summary>A message could not be decoded; the requeued ones come back one at a time.</summary>
        Careful,

        /// <summary>It could not be decoded again in careful mode: it is first in the queue.</summary>
        CarefulAtHead,
    }

    public RabbitMqConnection Connection { get; }

    /// <summary>The prefetch a new session asks for: 1 while careful (and the session is the careful one), else the
    /// consumer's in-flight limit.</summary>
    /// <param name="session">The session being opened.</param>
    /// <returns>The prefetch count.</returns>
    public ushort PrefetchFor(ConsumerSession session)
    {
        lock (_gate)
        {
            if (_mode == Mode.Normal)
            {
                return (ushort)_maxInFlight;
            }

            _carefulSession = session;
            return 1;
        }
    }

    /// <summary>Called before a delivery of <paramref name="session"/> is settled; <see langword="true"/> when careful
    /// mode ends with it: the caller then stops the session's consumer before settling (so nothing more is delivered at
    /// prefetch 1) and ends the session, and the next one takes the full prefetch.</summary>
    /// <param name="session">The delivery's session.</param>
    /// <returns>Whether careful mode ended.</returns>
    public bool EndsCarefulMode(ConsumerSession session)
    {
        lock (_gate)
        {
            if (_mode == Mode.Normal || !ReferenceEquals(session, _carefulSession))
            {
                return false;
            }

            if (_mode == Mode.Careful && ++_decodedWhileCareful < _maxInFlight)
            {
                return false;
            }

            _mode = Mode.Normal;
            _carefulSession = null;
            _decodedWhileCareful = 0;
        }

        LogCarefulModeEnded(_logger, _queue);
        return true;
    }

    public ValueTask DisposeAsync()
    {
        Connection.Lost -= OnLost;
        return Connection.DisposeAsync();
    }

    /// <summary>Whether the client closed the connection because it could not decode what the broker sent.</summary>
    /// <param name="reason">The connection's shutdown reason.</param>
    /// <returns><see langword="true"/> for a frame-syntax error raised by the client itself.</returns>
    internal static bool IsUndecodable(ShutdownEventArgs reason) =>
        reason.Initiator == ShutdownInitiator.Library
        && (reason.Exception is SyntaxErrorException || reason.ReplyCode == Constants.SyntaxError);

    private void OnLost(ShutdownEventArgs reason)
    {
        if (!IsUndecodable(reason))
        {
            return;
        }

        lock (_gate)
        {
            _mode = _mode == Mode.Normal ? Mode.Careful : Mode.CarefulAtHead;
            _decodedWhileCareful = 0;
        }

        if (_options.QueueType == RabbitMqQueueType.Quorum && _options.DeliveryLimit > 0)
        {
            LogUndecodable(_logger, _queue, reason.ReplyText, _options.DeliveryLimit);
        }
        else
        {
            LogUndecodableWithoutLimit(_logger, _queue, reason.ReplyText);
        }
    }

    [LoggerMessage(EventId = 1210, Level = LogLevel.Error, Message = "A message in {Queue} has properties RabbitMQ.Client cannot decode ({Problem}); the client dropped the consumer's connection before anything could read it. The broker dead-letters it into the queue's dead-letter queue (x-death reason delivery_limit) once it has come back {Limit} times; until then the consumer takes one message at a time")]
    private static partial void LogUndecodable(ILogger logger, string queue, string problem, int limit);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Error, Message = "A message in {Queue} has properties RabbitMQ.Client cannot decode ({Problem}); the client dropped the consumer's connection before anything could read it. Without a delivery limit (classic queues, or Messaging:RabbitMq:DeliveryLimit = 0) it comes back every time: remove it from the queue with another client (or use quorum queues, whose delivery limit sets it aside)")]
    private static partial void LogUndecodableWithoutLimit(ILogger logger, string queue, string problem);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Information, Message = "Consumer of {Queue} reads messages again after an undecodable one was set aside; resuming with the full prefetch")]
    private static partial void LogCarefulModeEnded(ILogger logger, string queue);
}

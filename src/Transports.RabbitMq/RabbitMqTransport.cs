using System.Collections.Concurrent;
using Messaging.Adapters.RabbitMq.Configuration;
using Messaging.Adapters.RabbitMq.Connection;
using Messaging.Adapters.RabbitMq.Consuming;
using Messaging.Adapters.RabbitMq.Publishing;
using Messaging.Adapters.RabbitMq.Streams;
using Messaging.Adapters.RabbitMq.Telemetry;
using Messaging.Adapters.RabbitMq.Topology;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq;

/// <summary>
/// The RabbitMQ transport: the contract on RabbitMQ's own features (see <see cref="RabbitMqTransportOptions"/> for
/// the mapping), over RabbitMQ.Client 7.
/// </summary>
/// <remarks>
/// <para>Every publish, send and append completes only when the broker confirmed it (publisher confirms); messages
/// are persistent. Consumers acknowledge only after the handler pipeline's outcome was carried out; prefetch is the
/// consumer's <see cref="ConsumerOptions.MaxInFlight"/>.</para>
/// <para>Two connections are opened on first use, one for publishing and one for topology, stream readers and the
/// locks of ordered consumers, plus one per queue consumer, so that a message the client cannot decode, which drops
/// the connection it arrives on, disturbs no other queue's consumer; all are recovered automatically when lost: unconfirmed publishes are sent again (duplicates are possible, losses are
/// not) and consumers resume (unacknowledged messages are redelivered).</para>
/// <para>Thread safe; meant to live as long as the application.</para>
/// </remarks>
public sealed partial class RabbitMqTransport : ITransport, ITransportHealth, IQueueInspector
{
    private const string ManagedConsumerTagPrefix = "messaging.adapters-";

    private readonly ConcurrentDictionary<(DestinationKind Kind, string Name), PublishTarget> _targets = new();
    private readonly RabbitMqConnection _publishingConnection;
    private readonly ConnectionFactory _factory;
    private readonly ILogger _connectionLogger;
    private readonly ServerCertificateCheck? _certificateCheck;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private int _disposed;

    /// <summary>Creates the transport; it connects on first use.</summary>
    /// <param name="options">The options; <see cref="RabbitMqTransportOptions.Uri"/> defaults to the local broker.</param>
    /// <param name="timeProvider">The clock for delays and dead-letter times; <see langword="null"/> for the system clock.</param>
    /// <param name="loggerFactory">Where connection events, retries, dead letters and failures are logged; <see langword="null"/> for nowhere.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it as <c>Messaging:RabbitMq:&lt;Key&gt;</c>.</exception>
    public RabbitMqTransport(RabbitMqTransportOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (RabbitMqTransportOptionsValidator.FindProblems(options) is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        Options = options;
        _time = timeProvider ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<RabbitMqTransport>();
        ConsumerLogger = _loggerFactory.CreateLogger("Messaging.Adapters.RabbitMq.Consuming");
        var uri = options.Uri!;
        Endpoint = RabbitMqEndpoint.DescribeConnection(options);
        var virtualHost = RabbitMqEndpoint.VirtualHost(uri);
        var certificateCheck = RabbitMqEndpoint.UsesTls(options)
            ? new ServerCertificateCheck(options.Tls.ServerName ?? uri.Host, ServerCertificateCheck.LoadAuthorities(options.Tls.CaCertificate))
            : null;
        var factory = _factory = RabbitMqEndpoint.CreateFactory(options, IsManagedConsumerTag, certificateCheck);
        var connectionLogger = _connectionLogger = _loggerFactory.CreateLogger("Messaging.Adapters.RabbitMq.Connection");
        _certificateCheck = certificateCheck;
        _publishingConnection = new RabbitMqConnection(factory, "publishing", Endpoint, connectionLogger, certificateCheck);
        ConsumingConnection = new RabbitMqConnection(factory, "consuming", Endpoint, connectionLogger, certificateCheck);
        var cloudEventsSource = CloudEventSource.For(options.ClientName);
        Publishing = new PublishChannelPool(_publishingConnection, options, cloudEventsSource, virtualHost, _loggerFactory.CreateLogger("Messaging.Adapters.RabbitMq.Publishing"));
        Provisioner = new TopologyProvisioner(ConsumingConnection, options, virtualHost, _loggerFactory.CreateLogger("Messaging.Adapters.RabbitMq.Topology"));
        Capabilities = new TransportCapabilities
        {
            Streams = true,
            StreamStartAtTime = true,
            OrderingByKey = true,
            DelayedDelivery = true,
            ServerSideFiltering = options.FilterOnBroker,
            QueueInspection = true,
            Durable = true,
            TemporaryQueues = true,
            MaxMessageSize = options.MaxMessageSize,
            MessagingSystem = MessagingSystems.RabbitMq,

            // A TTL retry queue could hold a message for up to 2^32-1 ms; one day is the longest delay a RetryPolicy
            // can ask for, and so the longest this adapter has been made and tested to hold.
            MaxDelay = TimeSpan.FromDays(1),
        };
        Publisher = ProducerTelemetry.Instrument(new RabbitMqPublisher(this), MessagingSystems.RabbitMq);
        Subscriber = new RabbitMqSubscriber(this);
        Queue = ProducerTelemetry.Instrument(new RabbitMqQueue(this), MessagingSystems.RabbitMq);
        Stream = ProducerTelemetry.Instrument(new RabbitMqStream(this), MessagingSystems.RabbitMq);
        Topology = new RabbitMqTopology(this);
    }

    /// <inheritdoc />
    /// <value>Always <c>RabbitMq</c>.</value>
    public string Name => TransportCatalog.RabbitMq;

    /// <inheritdoc />
    /// <remarks>Unreachable while the publishing connection, or the connection the transport's shared consumers use,
    /// was opened and is now closed or recovering. A queue consumer's own connection recovers on its own and shows in
    /// that consumer's logs.</remarks>
    public TransportHealth CurrentHealth
    {
        get
        {
            var down = new[] { _publishingConnection, ConsumingConnection }
                .Where(c => c.Current is not null && !c.IsUsable)
                .Select(c => c == _publishingConnection ? "publishing" : "consuming")
                .ToList();
            return down.Count == 0
                ? new TransportHealth(true, $"RabbitMQ at {Endpoint}: connected (or connecting on first use).")
                : new TransportHealth(false, $"RabbitMQ at {Endpoint}: the {string.Join(" and ", down)} connection is down or recovering.");
        }
    }

    /// <summary>The broker's address with the password hidden, for logs and messages.</summary>
    public string Endpoint { get; }

    /// <inheritdoc />
    public TransportCapabilities Capabilities { get; }

    /// <inheritdoc />
    public IPublisher Publisher { get; }

    /// <inheritdoc />
    public ISubscriber Subscriber { get; }

    /// <inheritdoc />
    public IQueue Queue { get; }

    /// <inheritdoc />
    public IStream Stream { get; }

    /// <inheritdoc />
    public ITopology Topology { get; }

    internal RabbitMqTransportOptions Options { get; }

    internal RabbitMqConnection ConsumingConnection { get; }

    internal PublishChannelPool Publishing { get; }

    internal TopologyProvisioner Provisioner { get; }

    internal ILogger ConsumerLogger { get; }

    /// <summary>Opens the transport's connections now instead of on first use, so that an unreachable broker is
    /// reported at start-up.</summary>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>A task that completes when both connections are open.</returns>
    /// <exception cref="TransportUnavailableException">The broker cannot be reached.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await _publishingConnection.GetAsync(cancellationToken).ConfigureAwait(false);
        await ConsumingConnection.GetAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The RabbitMQ.Client connection publishes go through: the escape hatch to the native client.</summary>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>The connection, opened if it was not.</returns>
    /// <remarks>Do not close it. Channels opened on it are yours to close. It recovers automatically, but it does not
    /// re-declare entities or re-register consumers you create on it.</remarks>
    public async Task<IConnection> GetPublishingConnectionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return await _publishingConnection.GetAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The RabbitMQ.Client connection topology and stream readers go through (each queue consumer has its
    /// own): the escape hatch to the native client.</summary>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>The connection, opened if it was not.</returns>
    /// <remarks>See <see cref="GetPublishingConnectionAsync"/>.</remarks>
    public async Task<IConnection> GetConsumingConnectionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return await ConsumingConnection.GetAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops every consumer of this transport (handlers are cancelled and their messages released to the
    /// broker), closes the connections, then refuses further work with <see cref="ObjectDisposedException"/>.</summary>
    /// <returns>A task that completes when the consumers have stopped and the connections are closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Consumers.DisposeAllAsync().ConfigureAwait(false);
        await Publishing.DisposeAsync().ConfigureAwait(false);
        await Provisioner.DisposeAsync().ConfigureAwait(false);
        await _publishingConnection.DisposeAsync().ConfigureAwait(false);
        await ConsumingConnection.DisposeAsync().ConfigureAwait(false);
        LogDisposed(_logger, Endpoint);
    }

    /// <summary>A connection of one queue consumer's own: RabbitMQ.Client decodes every delivery on its connection's
    /// one reader loop, and a message it cannot decode drops the whole connection, so each queue consumer reads on
    /// its own (see <see cref="ConsumerConnection"/>). Opened on first use; the consumer disposes it.</summary>
    internal ConsumerConnection OpenConsumerConnection(string queue, int maxInFlight) =>
        new(new RabbitMqConnection(_factory, "consuming " + queue, Endpoint, _connectionLogger, _certificateCheck), queue, maxInFlight, Options, ConsumerLogger);

    /// <summary>A consumer tag for a consumer the transport recovers itself (the connection's own recovery skips it).</summary>
    internal static string ManagedConsumerTag(string purpose) => ManagedConsumerTagPrefix + purpose + "-" + Guid.NewGuid().ToString("N");

    private RabbitMqQueueInspector Inspector => field ??= new RabbitMqQueueInspector(this);

    /// <inheritdoc/>
    /// <remarks>The ready messages, from a passive declare: exact; those a consumer holds unacknowledged are not counted.</remarks>
    Task<QueueCount> IQueueInspector.CountAsync(string queue, CancellationToken cancellationToken) => Inspector.CountAsync(queue, cancellationToken);

    /// <inheritdoc/>
    /// <remarks><c>basic.get</c> without acknowledgement on a channel closed afterwards; only queues without
    /// <c>x-delivery-limit</c> (dead-letter queues) can be peeked.</remarks>
    Task<IReadOnlyList<Envelope>> IQueueInspector.PeekAsync(string queue, int max, CancellationToken cancellationToken) => Inspector.PeekAsync(queue, max, cancellationToken);

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    internal ConsumerSet Consumers { get; } = new();

    internal TimeProvider Time => _time;

    internal ConsumerEngine<TDelivery> CreateConsumer<TDelivery>(IDeliveryReceiver<TDelivery> receiver, MessageHandler handler, RetryPolicy? retry, ConsumerEngineSettings settings)
        where TDelivery : InboundDelivery =>
        new(receiver, handler, retry ?? Options.DefaultRetry, settings, _time, _loggerFactory);

    /// <summary>Publishes to a queue, topic or stream, declaring it first on first use when provisioning is on.</summary>
    /// <param name="kind"><see cref="DestinationKind.Queue"/>, <see cref="DestinationKind.Topic"/> or <see cref="DestinationKind.Stream"/>.</param>
    /// <param name="name">The destination's name (validated).</param>
    /// <param name="messages">The messages (validated).</param>
    /// <param name="batch">Whether this is a batch call (failures are <see cref="BatchPublishException"/>).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the broker confirmed every message.</returns>
    /// <remarks>A send never declares a temporary queue (<see cref="DestinationNames.IsTemporaryQueue"/>): only its owner
    /// does, so a reply to an owner that is gone is dropped by the broker instead of bringing its queue back.</remarks>
    internal Task SendToAsync(DestinationKind kind, string name, IReadOnlyList<Envelope> messages, bool batch, CancellationToken cancellationToken)
    {
        var provision = Options.ProvisionOnFirstUse && !IsTemporaryQueue(kind, name);
        var target = _targets.GetOrAdd((kind, name), CreateTarget);
        if (ProducerTelemetry.CurrentSend is { } span)
        {
            AmqpSpanAttributes.AddRoutingKey(span, target.RoutingKey);
        }

        var declared = !provision ? Task.CompletedTask : kind switch
        {
            DestinationKind.Queue => Provisioner.EnsureQueueAsync(name, cancellationToken),
            DestinationKind.Topic => Provisioner.EnsureTopicAsync(name, cancellationToken),
            _ => Provisioner.EnsureStreamAsync(name, cancellationToken),
        };

        // Declared already (the usual case): no extra state machine on the way to the broker.
        return declared.IsCompletedSuccessfully ? Send(target) : SendAfterAsync(declared, target);

        Task Send(PublishTarget to) => batch ? Publishing.SendBatchAsync(to, messages, cancellationToken) : Publishing.SendAsync(to, messages[0], cancellationToken);

        async Task SendAfterAsync(Task declaring, PublishTarget to)
        {
            await declaring.ConfigureAwait(false);
            await Send(to).ConfigureAwait(false);
        }
    }

    /// <summary>Publishes a delayed retry into the shared delay level its delay rounds up to (see
    /// <see cref="DelayLevels"/>), keeping <paramref name="queue"/> as routing key; when the level's TTL expires the
    /// broker dead-letters it back to <paramref name="queue"/> through <see cref="TopologyNames.DelayReturnExchange"/>.</summary>
    internal async Task PublishRetryAsync(string queue, Envelope message, TimeSpan delay, IDictionary<string, object?>? nativeHeaders, CancellationToken cancellationToken)
    {
        var level = DelayLevels.For(delay);
        await Provisioner.EnsureDelayAsync(queue, level, cancellationToken).ConfigureAwait(false);
        var target = new PublishTarget(level.Name, queue, Mandatory: true, level.Name, "delay queue", ct => Provisioner.EnsureDelayAsync(queue, level, ct, force: true));
        await Publishing.SendAsync(target, message, cancellationToken, nativeHeaders).ConfigureAwait(false);
    }

    /// <summary>Publishes a dead letter through the dead-letter exchange into <c>&lt;source&gt;.dead-letter</c>; a letter
    /// that failed in a dead-letter queue goes back into that queue (<see cref="DeadLetterQueues.TargetOf"/>).</summary>
    internal async Task PublishDeadLetterAsync(string source, Envelope message, IDictionary<string, object?>? nativeHeaders, CancellationToken cancellationToken)
    {
        if (!DeadLetterQueues.HasOwn(source))
        {
            await Provisioner.EnsureQueueAsync(source, cancellationToken).ConfigureAwait(false);
            var back = new PublishTarget(string.Empty, source, Mandatory: true, source, "dead-letter queue", ct => Provisioner.EnsureQueueAsync(source, ct, force: true));
            await Publishing.SendAsync(back, message, cancellationToken, nativeHeaders).ConfigureAwait(false);
            return;
        }

        await Provisioner.EnsureDeadLetterQueueAsync(source, cancellationToken).ConfigureAwait(false);
        var target = new PublishTarget(TopologyProvisioner.DeadLetterExchange, source, Mandatory: true, source + DestinationNames.DeadLetterSuffix, "dead-letter queue", ct => Provisioner.EnsureDeadLetterQueueAsync(source, ct, force: true));
        await Publishing.SendAsync(target, message, cancellationToken, nativeHeaders).ConfigureAwait(false);
    }

    private static bool IsTemporaryQueue(DestinationKind kind, string name) => kind == DestinationKind.Queue && DestinationNames.IsTemporaryQueue(name);

    private PublishTarget CreateTarget((DestinationKind Kind, string Name) destination)
    {
        var (kind, name) = destination;
        var provision = Options.ProvisionOnFirstUse;
        return kind switch
        {
            // Not mandatory and never declared: the owner of a temporary queue may be gone, and its reply with it.
            DestinationKind.Queue when IsTemporaryQueue(kind, name) => new PublishTarget(string.Empty, name, Mandatory: false, name, "temporary queue", null),

            // Mandatory: a queue or stream that does not exist is an error, not silence.
            DestinationKind.Queue => new PublishTarget(string.Empty, name, Mandatory: true, name, "queue", provision ? ct => Provisioner.EnsureQueueAsync(name, ct, force: true) : null),
            DestinationKind.Stream => new PublishTarget(string.Empty, name, Mandatory: true, name, "stream", provision ? ct => Provisioner.EnsureStreamAsync(name, ct, force: true) : null, StampAppendTime: true),

            // Not mandatory: a topic without subscriptions takes the message and routes it nowhere, as the contract says.
            _ => new PublishTarget(name, string.Empty, Mandatory: false, name, "topic", provision ? ct => Provisioner.EnsureTopicAsync(name, ct, force: true) : null),
        };
    }

    private static bool IsManagedConsumerTag(string consumerTag) => consumerTag.StartsWith(ManagedConsumerTagPrefix, StringComparison.Ordinal);

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "RabbitMQ transport for {Endpoint} disposed")]
    private static partial void LogDisposed(ILogger logger, string endpoint);
}

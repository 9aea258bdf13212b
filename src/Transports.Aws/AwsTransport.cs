using Amazon.Runtime;
using Amazon.SQS;
using Messaging.Adapters.Aws.Clients;
using Messaging.Adapters.Aws.Configuration;
using Messaging.Adapters.Aws.Consuming;
using Messaging.Adapters.Aws.Envelopes;
using Messaging.Adapters.Aws.Health;
using Messaging.Adapters.Aws.Publishing;
using Messaging.Adapters.Aws.Topology;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Adapters.Aws;

/// <summary>
/// The AWS transport: topics on SNS fanned out to SQS subscription queues, queues on SQS (see
/// <see cref="AwsTransportOptions"/> for the mapping), over AWSSDK.SQS and a Query-protocol SNS client on AWSSDK.Core.
/// </summary>
/// <remarks>
/// <para>Every publish and send completes when SNS or SQS has stored the message. Consumers long-poll (20 s), receive
/// up to 10 messages per request within their in-flight limit, delete in batches after the handler pipeline's outcome,
/// and keep running messages invisible through a visibility heartbeat. Delivery is at-least-once: a message whose
/// handler outlives a lost heartbeat, or whose delete fails, comes back.</para>
/// <para>Streams are not offered. FIFO queues (<c>*.fifo</c>) keep the order of each key; standard queues do not
/// (<see cref="CapabilitiesOf"/>).</para>
/// <para>Thread safe; meant to live as long as the application.</para>
/// </remarks>
public sealed partial class AwsTransport : ITransport, ITransportHealth, IQueueInspector
{
    /// <summary>Room left in <see cref="AwsTransportOptions.MaxMessageSize"/> for a message's attributes.</summary>
    private const int AttributeHeadroom = 8 * 1024;

    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly bool _ownsSqs;
    private readonly bool _ownsSns;
    private readonly bool _ownsEventBridge;
    private readonly TransportCapabilities _fifoCapabilities;
    private readonly CancellationTokenSource _closing = new();
    private readonly IDisposable? _sqsObservation;
    private int _disposed;

    /// <summary>Creates the transport; nothing is requested from AWS until first use.</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock for delays and dead-letter times; <see langword="null"/> for the system clock.</param>
    /// <param name="loggerFactory">Where failures, retries and dead letters are logged; <see langword="null"/> for nowhere.</param>
    /// <param name="sqs">An SQS client to use instead of one built from the options (the transport does not dispose it).</param>
    /// <param name="sns">An SNS client to use instead of <see cref="SnsQueryClient"/> (for example one over the generated
    /// <c>AWSSDK.SimpleNotificationService</c> client; the transport does not dispose it).</param>
    /// <param name="eventBridge">An EventBridge client to use instead of <see cref="EventBridgeJsonClient"/> when
    /// <see cref="AwsTransportOptions.EventBus"/> is set (the transport does not dispose it).</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it as <c>Messaging:Aws:&lt;Key&gt;</c>.</exception>
    /// <exception cref="MessagingConfigurationException">No region, or an unknown profile.</exception>
    public AwsTransport(AwsTransportOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, IAmazonSQS? sqs = null, ISnsClient? sns = null, IEventBridgeClient? eventBridge = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (AwsTransportOptionsValidator.FindProblems(options) is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        Options = options;
        _time = timeProvider ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<AwsTransport>();
        ConsumerLogger = _loggerFactory.CreateLogger("Messaging.Adapters.Aws.Consuming");
        var needsEventBridge = options.EventBus is not null && eventBridge is null;
        if (sqs is null || sns is null || needsEventBridge)
        {
            var settings = AwsClientSettings.Resolve(options);
            _ownsSqs = sqs is null;
            _ownsSns = sns is null;
            _ownsEventBridge = needsEventBridge;
            Endpoint = $"SQS {settings.SqsEndpoint?.ToString() ?? "(regional)"}, SNS {settings.SnsEndpoint}, region {settings.Region.SystemName}";
            Reachability = new EndpointReachability(Endpoint);
            sqs ??= new AmazonSQSClient(settings.Credentials, settings.SqsConfig(options));
            sns ??= new SnsQueryClient(settings.Credentials, settings.Region, settings.SnsEndpoint, options.MaxErrorRetry, Observed("SNS at " + settings.SnsEndpoint));
            if (needsEventBridge)
            {
                eventBridge = new EventBridgeJsonClient(settings.Credentials, settings.Region, settings.EventsEndpoint, options.MaxErrorRetry, Observed("EventBridge at " + settings.EventsEndpoint));
            }
        }
        else
        {
            Endpoint = "the SQS and SNS clients given";
            Reachability = new EndpointReachability(Endpoint);
        }

        if (sqs is AmazonServiceClient sqsClient)
        {
            // Given clients too: their requests are this transport's as much as those of a client it built.
            _sqsObservation = Reachability.Observe(sqsClient, "SQS at " + (sqsClient.Config.ServiceURL ?? $"the {sqsClient.Config.RegionEndpoint?.SystemName} regional endpoint"));
        }

        Sqs = sqs;
        Sns = sns;
        EventBridge = options.EventBus is null ? null : eventBridge;
        CloudEventsSource = "/messaging-adapters";
        Closing = _closing.Token;
        Redrives = new RedriveLedger(_time);
        Provisioner = new TopologyProvisioner(Sqs, Sns, EventBridge, options);
        Sender = new SqsSender(this);
        var bodyLimit = (options.MaxMessageSize - AttributeHeadroom) / 4 * 3;
        if (EventBridge is not null)
        {
            // An event weighs at most 256 KiB, whatever the queues take; the body may travel base64-encoded in it.
            bodyLimit = Math.Min(bodyLimit, ((256 * 1024) - AttributeHeadroom) / 4 * 3);
        }

        Capabilities = new TransportCapabilities
        {
            Streams = false,
            StreamStartAtTime = false,
            OrderingByKey = options.Fifo,
            DelayedDelivery = true,
            ServerSideFiltering = true,
            QueueInspection = true,
            Durable = true,
            MaxMessageSize = bodyLimit,

            // The visibility timeout can reach 12 hours from the receive; an hour of that is left for the handler
            // that ran before the retry was asked for.
            MaxDelay = TimeSpan.FromHours(11),
            MaxBatchEntries = BatchSend.MaxEntries,
            MaxBatchBytes = bodyLimit,
            MessagingSystem = MessagingSystems.AwsSqs,
        };
        _fifoCapabilities = Capabilities with { OrderingByKey = true };
        Publisher = EventBridge is null
            ? ProducerTelemetry.Instrument(new SnsPublisher(this), MessagingSystems.AwsSns)
            : ProducerTelemetry.Instrument(new EventBusPublisher(this, EventBridge, options.EventBus!), MessagingSystems.AwsEventBridge);
        Subscriber = new SnsSubscriber(this);
        Queue = ProducerTelemetry.Instrument(new SqsQueue(this), MessagingSystems.AwsSqs);
        Stream = new UnsupportedStream(Name);
        Topology = new AwsTopology(this);
    }

    /// <inheritdoc />
    /// <value>Always <c>Aws</c>.</value>
    public string Name => TransportCatalog.Aws;

    /// <summary>Where requests go, for logs and messages (no credentials).</summary>
    public string Endpoint { get; }

    /// <inheritdoc />
    /// <remarks>What every destination offers: without ordering by key, as standard queues and topics; with it where
    /// every destination is FIFO (<see cref="AwsTransportOptions.Fifo"/>).</remarks>
    public TransportCapabilities Capabilities { get; }

    /// <inheritdoc />
    public IPublisher Publisher { get; }

    /// <inheritdoc />
    public ISubscriber Subscriber { get; }

    /// <inheritdoc />
    public IQueue Queue { get; }

    /// <inheritdoc />
    /// <remarks>Every member throws <see cref="CapabilityNotSupportedException"/>: SQS and SNS keep no replayable log.</remarks>
    public IStream Stream { get; }

    /// <inheritdoc />
    public ITopology Topology { get; }

    /// <summary>The SQS client: the escape hatch to the native client.</summary>
    /// <remarks>Do not dispose it. Queue names map as <see cref="AwsTransportOptions"/> describes.</remarks>
    public IAmazonSQS Sqs { get; }

    /// <summary>The SNS client: the escape hatch for SNS.</summary>
    public ISnsClient Sns { get; }

    /// <summary>The EventBridge client topics are published through, when <see cref="AwsTransportOptions.EventBus"/> is
    /// set; otherwise <see langword="null"/>.</summary>
    public IEventBridgeClient? EventBridge { get; }

    /// <inheritdoc />
    /// <remarks>From the requests the transport makes anyway, no probe of its own: unreachable while the last request to
    /// SQS, SNS or EventBridge got no answer at all (refused, broken, timed out), reachable again once one is answered;
    /// an answer that is an error counts as reachable. SQS is followed through the client's request events (also for a
    /// given <see cref="Amazon.SQS.AmazonSQSClient"/>); a given SNS or EventBridge client is not followed.</remarks>
    public TransportHealth CurrentHealth => Reachability.CurrentHealth;

    internal AwsTransportOptions Options { get; }

    internal EndpointReachability Reachability { get; }

    internal TopologyProvisioner Provisioner { get; }

    internal SqsSender Sender { get; }

    internal ILogger ConsumerLogger { get; }

    internal ConsumerSet Consumers { get; } = new();

    /// <summary>The attempts made on messages this transport's consumers gave back to SQS.</summary>
    internal AttemptLedger Attempts { get; } = new();

    /// <summary>The dead letters this transport's consumers received, so that a redrive to a FIFO queue is not deduplicated.</summary>
    internal RedriveLedger Redrives { get; }

    internal string CloudEventsSource { get; }

    /// <summary>Cancelled when the transport is disposed: ends the requests no consumer waits for any more.</summary>
    internal CancellationToken Closing { get; }

    private SqsQueueInspector Inspector => field ??= new SqsQueueInspector(this);

    /// <inheritdoc/>
    /// <remarks>Approximate (<see cref="QueueCount.IsApproximate"/>): SQS's <c>ApproximateNumberOfMessages</c> plus
    /// <c>ApproximateNumberOfMessagesNotVisible</c>, eventually consistent.</remarks>
    Task<QueueCount> IQueueInspector.CountAsync(string queue, CancellationToken cancellationToken) => Inspector.CountAsync(queue, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>Receives with a 10-second visibility timeout and makes each message visible again at once; it may see
    /// fewer messages than the queue holds (held ones, a FIFO group with a message held).</remarks>
    Task<IReadOnlyList<Envelope>> IQueueInspector.PeekAsync(string queue, int max, CancellationToken cancellationToken) => Inspector.PeekAsync(queue, max, cancellationToken);

    /// <inheritdoc />
    /// <remarks>A FIFO queue or topic (a name with a <c>fifo</c> segment, such as <c>orders.fifo</c>, or every one with
    /// <see cref="AwsTransportOptions.Fifo"/>) keeps the order of each key; every other destination offers
    /// <see cref="Capabilities"/>.</remarks>
    public TransportCapabilities CapabilitiesOf(string destination) => Options.IsFifo(destination) ? _fifoCapabilities : Capabilities;

    /// <summary>Stops every consumer of this transport (their messages are released to SQS), then refuses further work
    /// with <see cref="ObjectDisposedException"/>.</summary>
    /// <returns>A task that completes when the consumers have stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Consumers.DisposeAllAsync().ConfigureAwait(false);

        // Polls left to finish by stopped consumers end here; their messages come back after the visibility timeout.
        await _closing.CancelAsync().ConfigureAwait(false);
        _sqsObservation?.Dispose();
        if (_ownsSqs)
        {
            Sqs.Dispose();
        }

        if (_ownsSns && Sns is IDisposable disposable)
        {
            disposable.Dispose();
        }

        if (_ownsEventBridge && EventBridge is IDisposable events)
        {
            events.Dispose();
        }

        LogDisposed(_logger, Endpoint);
    }

    private AnsweredRequestsHandler Observed(string endpoint) =>
        new AnsweredRequestsHandler(Reachability, endpoint) { InnerHandler = SignedHttpSender.DefaultHandler() };

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    internal ConsumerEngine<TDelivery> CreateConsumer<TDelivery>(IDeliveryReceiver<TDelivery> receiver, MessageHandler handler, RetryPolicy retry, ConsumerEngineSettings settings)
        where TDelivery : InboundDelivery =>
        new(receiver, handler, retry, settings, _time, _loggerFactory);

    /// <summary>The messages as they go on the wire, each checked against the wire limit (body and attributes) before
    /// anything is sent.</summary>
    internal WireMessage[] ToWire(string destination, IReadOnlyList<Envelope> messages)
    {
        var wires = new WireMessage[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            wires[i] = SqsEnvelope.ToWire(messages[i], CloudEventsSource);
            if (wires[i].Size > Options.MaxMessageSize)
            {
                throw new MessageTooLargeException(Options.MaxMessageSize, wires[i].Size, destination, messages[i].Id);
            }
        }

        return wires;
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "AWS transport for {Endpoint} disposed")]
    private static partial void LogDisposed(ILogger logger, string endpoint);
}

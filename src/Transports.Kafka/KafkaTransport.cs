using Confluent.Kafka;
using Messaging.Adapters.Kafka.Configuration;
using Messaging.Adapters.Kafka.Consuming;
using Messaging.Adapters.Kafka.Health;
using Messaging.Adapters.Kafka.Publishing;
using Messaging.Adapters.Kafka.Streams;
using Messaging.Adapters.Kafka.Topology;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Adapters.Kafka;

/// <summary>
/// The Kafka transport: the contract on Kafka topics and consumer groups (see <see cref="KafkaTransportOptions"/> for
/// the mapping), over Confluent.Kafka.
/// </summary>
/// <remarks>
/// <para>Every publish, send and append completes on its delivery report from an idempotent, acks=all producer; a
/// batch is handed to the producer at once (pipelined). Consumers store offsets only for finished messages and only
/// contiguously per partition, so a commit never passes an unfinished message.</para>
/// <para>Thread safe; meant to live as long as the application.</para>
/// </remarks>
public sealed class KafkaTransport : ITransport, ITransportHealth, IQueueInspector
{
    private readonly Lazy<IAdminClient> _admin;
    private readonly ILoggerFactory _loggerFactory;
    private int _disposed;

    /// <summary>Creates the transport; it connects on first use.</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock for delays and dead-letter times; <see langword="null"/> for the system clock.</param>
    /// <param name="loggerFactory">Where client errors, rebalances, retries and dead letters are logged; <see langword="null"/> for nowhere.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it as <c>Messaging:Kafka:&lt;Key&gt;</c>.</exception>
    public KafkaTransport(KafkaTransportOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (KafkaTransportOptionsValidator.FindProblems(options) is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        Options = options;
        Time = timeProvider ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        ConsumerLogger = _loggerFactory.CreateLogger("Messaging.Adapters.Kafka.Consuming");
        ClientSettings = new KafkaClientSettings(options);
        _admin = new(() => new AdminClientBuilder(ClientSettings.Admin()).Build());
        Reachability = new BrokerReachability(options.BootstrapServers);
        Producer = new KafkaProducer(ClientSettings.Producer(), "/" + ClientSettings.ClientId, Reachability, _loggerFactory.CreateLogger("Messaging.Adapters.Kafka.Publishing"));
        Topics = new TopicProvisioner(_admin, options);
        Groups = new GroupOffsets(ClientSettings, Topics, options.SessionTimeout);
        Capabilities = new TransportCapabilities
        {
            Streams = true,
            // OffsetsForTimes, or a search on record timestamps where the broker answers none (the mock cluster).
            StreamStartAtTime = true,
            OrderingByKey = true,
            // No broker-side delay: delayed retries wait in the consumer while later offsets of the partition go on.
            DelayedDelivery = false,
            ServerSideFiltering = false,
            QueueInspection = true,
            Durable = true,
            MaxMessageSize = options.MaxMessageSize,
            MessagingSystem = MessagingSystems.Kafka,
        };
        Publisher = ProducerTelemetry.Instrument(new KafkaPublisher(this), MessagingSystems.Kafka);
        Subscriber = new KafkaSubscriber(this);
        Queue = ProducerTelemetry.Instrument(new KafkaQueue(this), MessagingSystems.Kafka);
        Stream = ProducerTelemetry.Instrument(new KafkaStream(this), MessagingSystems.Kafka);
        Topology = new KafkaTopology(this);
    }

    /// <inheritdoc />
    /// <value>Always <c>Kafka</c>.</value>
    public string Name => TransportCatalog.Kafka;

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

    /// <summary>The Confluent.Kafka producer every publish, send and append goes through: the escape hatch to the
    /// native client.</summary>
    /// <remarks>Do not dispose it. Messages produced on it bypass the envelope mapping.</remarks>
    public IProducer<string?, byte[]> NativeProducer
    {
        get
        {
            ThrowIfDisposed();
            return Producer.Client;
        }
    }

    /// <summary>The Confluent.Kafka admin client the transport creates topics with: the escape hatch for topology.</summary>
    /// <remarks>Do not dispose it.</remarks>
    public IAdminClient NativeAdminClient
    {
        get
        {
            ThrowIfDisposed();
            return _admin.Value;
        }
    }

    internal KafkaTransportOptions Options { get; }

    internal KafkaClientSettings ClientSettings { get; }

    internal KafkaProducer Producer { get; }

    /// <summary>What the transport's clients last said about their brokers.</summary>
    internal BrokerReachability Reachability { get; }

    /// <inheritdoc />
    /// <remarks>Unreachable while the producer or a group consumer reports all brokers down (librdkafka's
    /// <c>Local_AllBrokersDown</c>), until its statistics show a broker connection up again (within
    /// <c>statistics.interval.ms</c>, 5 s unless <see cref="KafkaTransportOptions.ConfigureProducer"/> or
    /// <see cref="KafkaTransportOptions.ConfigureConsumer"/> set it). A client not yet created counts as reachable.</remarks>
    public TransportHealth CurrentHealth => Reachability.CurrentHealth;

    internal TopicProvisioner Topics { get; }

    internal GroupOffsets Groups { get; }

    internal ConsumerSet Consumers { get; } = new();

    internal TimeProvider Time { get; }

    internal ILogger ConsumerLogger { get; }

    /// <summary>Checks that the cluster answers (a metadata request), so that an unreachable cluster is reported at start-up.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the cluster answered.</returns>
    /// <exception cref="TransportUnavailableException">The cluster did not answer.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        try
        {
            var metadata = await Task.Run(() => _admin.Value.GetMetadata(TimeSpan.FromSeconds(10)), cancellationToken).ConfigureAwait(false);
            if (metadata.Brokers.Count == 0)
            {
                throw new TransportUnavailableException($"Kafka at {Options.BootstrapServers} reported no brokers.", isTransient: true);
            }
        }
        catch (KafkaException ex)
        {
            throw new TransportUnavailableException($"Kafka at {Options.BootstrapServers} did not answer: {ex.Error.Reason}.", isTransient: true, ex);
        }
    }

    /// <summary>Stops every consumer of this transport (handlers are cancelled, unfinished messages stay uncommitted),
    /// flushes the producer and closes the clients, then refuses further work with <see cref="ObjectDisposedException"/>.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Consumers.DisposeAllAsync().ConfigureAwait(false);
        await Task.Run(Producer.Dispose).ConfigureAwait(false);
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }
    }

    private KafkaQueueInspector Inspector => field ??= new KafkaQueueInspector(this);

    /// <inheritdoc/>
    /// <remarks>Exact: per partition, the end offset less where the queue's consumer group resumes.</remarks>
    Task<QueueCount> IQueueInspector.CountAsync(string queue, CancellationToken cancellationToken) => Inspector.CountAsync(queue, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>Read from where the queue's group resumes by a consumer assigned the partitions, which commits nothing;
    /// first ones first within each partition.</remarks>
    Task<IReadOnlyList<Envelope>> IQueueInspector.PeekAsync(string queue, int max, CancellationToken cancellationToken) => Inspector.PeekAsync(queue, max, cancellationToken);

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    internal ConsumerEngine<KafkaDelivery> CreateConsumer(KafkaGroupReceiver receiver, MessageHandler handler, RetryPolicy? retry, ConsumerEngineSettings settings) =>
        new(receiver, handler, retry ?? Options.DefaultRetry, settings, Time, _loggerFactory);

    /// <summary>Starts a consumer on the engine and registers it with the transport.</summary>
    internal async Task<IConsumer> StartConsumerAsync(KafkaGroupReceiver receiver, MessageHandler handler, RetryPolicy? retry, ConsumerEngineSettings settings, CancellationToken cancellationToken)
    {
        var consumer = CreateConsumer(receiver, handler, retry, settings);
        await consumer.StartAsync(cancellationToken).ConfigureAwait(false);
        Consumers.Add(consumer, this);
        return consumer;
    }

    /// <summary>Produces to a topic, creating it first on first use.</summary>
    internal async Task SendToTopicAsync(string topic, IReadOnlyList<Envelope> messages, bool batch, CancellationToken cancellationToken)
    {
        await Topics.EnsureAsync(topic, cancellationToken).ConfigureAwait(false);
        await Producer.SendAsync(topic, messages, batch, keylessPartition: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends a batch to a stream: its messages without a key stay together, in order, in one partition
    /// chosen at random per batch (keyed messages go to their key's partition).</summary>
    internal async Task AppendBatchAsync(string stream, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken)
    {
        var partitions = await Topics.PartitionCountAsync(stream, cancellationToken).ConfigureAwait(false);
        await Producer.SendAsync(stream, messages, batch: true, Random.Shared.Next(partitions), cancellationToken).ConfigureAwait(false);
    }
}

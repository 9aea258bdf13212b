using Messaging.Adapters.InMemory.Queues;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Adapters.InMemory;

/// <summary>
/// The in-memory transport: the contract with the brokers' semantics, inside the process.
/// </summary>
/// <remarks>
/// <para>Publishing, sending and appending complete once the message is in the target queues or log (the
/// in-memory equivalent of a broker confirm). Handlers run on the thread pool, never on the publisher's thread.</para>
/// <para>Nothing is durable: messages live as long as the <see cref="Broker"/>. Several transports may share one
/// broker (see <see cref="InMemoryBroker"/>).</para>
/// </remarks>
public sealed class InMemoryTransport : ITransport, IQueueInspector, IDisposable
{
    private readonly CancellationTokenSource _disposing = new();
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly RetryPolicy _defaultRetry;
    private int _disposed;

    /// <summary>Creates a transport with a broker of its own.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="timeProvider">The clock for delayed retries; <see langword="null"/> for the system clock.</param>
    /// <param name="loggerFactory">Where retries, dead letters and failures are logged; <see langword="null"/> for nowhere.</param>
    public InMemoryTransport(InMemoryTransportOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
        : this(new InMemoryBroker(timeProvider), options, timeProvider, loggerFactory)
    {
    }

    /// <summary>Creates a transport on a broker that other transports may share.</summary>
    /// <param name="broker">The broker.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="timeProvider">The clock for delayed retries; <see langword="null"/> for the system clock.</param>
    /// <param name="loggerFactory">Where retries, dead letters and failures are logged; <see langword="null"/> for nowhere.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public InMemoryTransport(InMemoryBroker broker, InMemoryTransportOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(broker);
        options ??= new InMemoryTransportOptions();
        if (options.FindProblems(nameof(InMemoryTransportOptions) + ".") is [var problem, ..])
        {
            throw new ArgumentOutOfRangeException(nameof(options), problem);
        }

        ArgumentNullException.ThrowIfNull(options.DefaultRetry, "options.DefaultRetry");
        options.DefaultRetry.Validate();
        Broker = broker;
        _defaultRetry = options.DefaultRetry;
        _time = timeProvider ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        Logger = _loggerFactory.CreateLogger<InMemoryTransport>();
        Capabilities = options.ToCapabilities();
        Publisher = ProducerTelemetry.Instrument(new InMemoryPublisher(this), MessagingSystems.InMemory);
        Subscriber = new InMemorySubscriber(this);
        Queue = ProducerTelemetry.Instrument(new InMemoryQueue(this), MessagingSystems.InMemory);
        Stream = Capabilities.Streams ? ProducerTelemetry.Instrument(new InMemoryStream(this), MessagingSystems.InMemory) : new UnsupportedStream(Name);
        Topology = new InMemoryTopology(this);
    }

    /// <inheritdoc />
    /// <value>Always <c>InMemory</c>.</value>
    public string Name => TransportCatalog.InMemory;

    /// <summary>The broker this transport works on: the in-memory equivalent of the native client, for inspection in tests.</summary>
    public InMemoryBroker Broker { get; }

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

    internal ILogger Logger { get; }

    private InMemoryQueueInspector Inspector => field ??= new InMemoryQueueInspector(this);

    /// <inheritdoc/>
    Task<QueueCount> IQueueInspector.CountAsync(string queue, CancellationToken cancellationToken) => Inspector.CountAsync(queue, cancellationToken);

    /// <inheritdoc/>
    Task<IReadOnlyList<Envelope>> IQueueInspector.PeekAsync(string queue, int max, CancellationToken cancellationToken) => Inspector.PeekAsync(queue, max, cancellationToken);

    /// <summary>Stops every consumer of this transport (handlers are cancelled and their messages released to the
    /// broker), then refuses further work with <see cref="ObjectDisposedException"/>.</summary>
    /// <returns>A task that completes when the consumers have stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await Consumers.DisposeAllAsync().ConfigureAwait(false);
    }

    /// <summary>Stops every consumer without waiting for their handlers: handlers are cancelled at once and their
    /// messages released to the broker. Prefer <see cref="DisposeAsync"/>, which waits for them; this exists so a
    /// service provider or host disposed synchronously (<c>using var host = ...</c>) can dispose the transport.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _disposing.Cancel();

        // Cancelling happens synchronously inside each consumer's DisposeAsync; only the wait for the handlers is left behind.
        _ = Consumers.DisposeAllAsync();
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    internal ConsumerSet Consumers { get; } = new();

    internal TimeProvider Time => _time;

    internal ConsumerEngine<TDelivery> CreateConsumer<TDelivery>(IDeliveryReceiver<TDelivery> receiver, MessageHandler handler, RetryPolicy? retry, ConsumerEngineSettings settings)
        where TDelivery : InboundDelivery =>
        new(receiver, handler, retry ?? _defaultRetry, settings, _time, _loggerFactory);

    /// <summary>The broker holds a message for a delayed retry and puts it back at the end of its queue when due.</summary>
    internal void ScheduleRetry(QueueState queue, Envelope message, TimeSpan delay) => _ = RetryLaterAsync(queue, message, delay);

    internal void DeadLetter(string source, Envelope message) =>
        Broker.GetOrAddQueue(DeadLetterQueues.TargetOf(source)).Enqueue(new Delivery(message));

    private async Task RetryLaterAsync(QueueState queue, Envelope message, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _disposing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The transport was disposed: like a broker without persistence, the in-memory broker keeps the message
            // only if the broker outlives this transport, so hand it over now instead of dropping it.
        }

        queue.Enqueue(new Delivery(message));
    }
}

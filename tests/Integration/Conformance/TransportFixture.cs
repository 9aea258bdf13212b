using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// How the conformance suite reaches one transport: creates it, says what it can do (read from the transport
/// itself), holds the harness knobs, names things uniquely and cleans up what the tests created.
/// </summary>
/// <remarks>
/// <para>One fixture instance serves one scenario class (<see cref="IClassFixture{TFixture}"/>). A transport adds a
/// subclass that implements <see cref="CreateTransportAsync"/>; a broker fixture throws there, naming the endpoint
/// and the environment variable, when the broker cannot be reached: a missing broker is a failure, never a skip.</para>
/// <para>Capabilities are the transport's semantics; <see cref="Timeout"/>, <see cref="QuietPeriod"/> and
/// <see cref="FastRetry"/> are harness knobs and are kept apart from them on purpose.</para>
/// </remarks>
public abstract class TransportFixture : IAsyncLifetime
{
    /// <summary>The header every test message carries with <see cref="RunId"/>; <see cref="DeliveryLog"/> ignores
    /// messages without this run's value, so leftovers of a crashed run can never satisfy an assertion.</summary>
    public const string RunIdHeader = "conformance.run-id";

    private readonly ConcurrentDictionary<Destination, byte> _created = new();
    private readonly ConcurrentBag<ITransport> _ownedTransports = [];
    private readonly ConcurrentQueue<string> _cleanupProblems = new();
    private ITransport? _transport;
    private int _nameCounter;
    private int _messageCounter;

    /// <summary>Identifies this run of this fixture: part of every name and of every message id, and the value of
    /// <see cref="RunIdHeader"/>.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..10];

    /// <summary>The transport under test.</summary>
    public ITransport Transport => _transport ?? throw new InvalidOperationException($"{GetType().Name} is not initialized.");

    /// <summary>What the transport declares it can do: read from <see cref="ITransport.Capabilities"/>, never a second list.</summary>
    public TransportCapabilities Capabilities => Transport.Capabilities;

    /// <summary>The transport's name, as errors carry it (<see cref="CapabilityNotSupportedException.Transport"/>).</summary>
    public string TransportName => Transport.Name;

    /// <summary>The transport as skip reasons show it.</summary>
    /// <value>By default <see cref="TransportName"/>; a fixture that configures its transport differently from the
    /// default says how, for example <c>InMemory(minimal)</c>, so that its skips are told apart.</value>
    public virtual string TransportLabel => TransportName;

    /// <summary>Where the transport's broker is and which environment variable points elsewhere, for messages.</summary>
    public abstract string EndpointDescription { get; }

    /// <summary>How long a test waits for something that should happen.</summary>
    /// <value>The default value is 15 seconds; infinite while a debugger is attached.</value>
    public virtual TimeSpan Timeout => Debugger.IsAttached ? System.Threading.Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(15);

    /// <summary>How long a test watches to be sure that nothing more arrives.</summary>
    /// <value>The default value is 300 milliseconds.</value>
    public virtual TimeSpan QuietPeriod => TimeSpan.FromMilliseconds(300);

    /// <summary>A retry policy with the shape of the default (immediate, then delayed retries) but test-sized delays.</summary>
    /// <value>4 attempts: 1, 2 at once, 3 after 50 ms, 4 after 100 ms; then the dead-letter queue.</value>
    public virtual RetryPolicy FastRetry => new()
    {
        MaxAttempts = 4,
        ImmediateRetries = 1,
        InitialDelay = TimeSpan.FromMilliseconds(50),
        BackoffMultiplier = 2,
        MaxDelay = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>Creates the transport and checks that its broker answers.</summary>
    /// <returns>A task that completes when the transport is usable.</returns>
    public async ValueTask InitializeAsync()
    {
        // A broker's own start (a container booting) can take longer than a test waits for anything: before the timeout.
        await StartBrokerAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Timeout);
        _transport = await CreateTransportAsync(timeout.Token);

        // A transport may connect lazily; one round trip through its topology proves the broker is there.
        var probe = Destination.Queue(UniqueName("probe"));
        try
        {
            await _transport.Topology.EnsureAsync(probe, timeout.Token);
            await _transport.Topology.DeleteAsync(probe, timeout.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"{GetType().Name}: the {_transport.Name} transport was created but its broker did not answer a topology probe. Broker: {EndpointDescription}.", ex);
        }
    }

    /// <summary>Stops what tests left running, deletes every destination they created, and disposes the transports.</summary>
    /// <returns>A task that completes when everything is cleaned up.</returns>
    /// <exception cref="InvalidOperationException">Something could not be cleaned up; the message lists what.</exception>
    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_transport is not null)
        {
            foreach (var destination in OrderForDeletion(_created.Keys))
            {
                try
                {
                    using var timeout = new CancellationTokenSource(Timeout);
                    await _transport.Topology.DeleteAsync(destination, timeout.Token);
                    _created.TryRemove(destination, out _);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    _cleanupProblems.Enqueue($"deleting {destination}: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }

        foreach (var transport in _ownedTransports)
        {
            await transport.DisposeAsync();
        }

        if (_transport is not null)
        {
            await _transport.DisposeAsync();
        }

        if (!_cleanupProblems.IsEmpty)
        {
            throw new InvalidOperationException($"{GetType().Name} could not clean up after its tests:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", _cleanupProblems));
        }
    }

    /// <summary>A new name, valid per <see cref="DestinationNames.Rule"/>, unique to this run: prefix, run id, counter.</summary>
    /// <param name="prefix">What the name is for, for example <c>fanout</c>.</param>
    /// <returns>The name.</returns>
    public string UniqueName(string prefix)
    {
        var name = $"{prefix}-{RunId}-{Interlocked.Increment(ref _nameCounter).ToString(CultureInfo.InvariantCulture)}";
        DestinationNames.Validate(name, "conformance", nameof(prefix));
        return name;
    }

    /// <summary>A new message of this run: a readable unique id, the run header, and its id as the body.</summary>
    /// <param name="type">The message type.</param>
    /// <returns>The envelope; shape it further with a <c>with</c> expression.</returns>
    public Envelope NewMessage(string type = "conformance.ping")
    {
        var id = $"{RunId}-{Interlocked.Increment(ref _messageCounter).ToString("D6", CultureInfo.InvariantCulture)}";
        return new Envelope(type, Encoding.UTF8.GetBytes(id))
        {
            Id = id,
            Headers = new Dictionary<string, string>(StringComparer.Ordinal) { [RunIdHeader] = RunId },
        };
    }

    /// <summary>Several new messages of this run.</summary>
    /// <param name="count">How many.</param>
    /// <param name="shape">Changes message <c>i</c> (for example its key or headers); <see langword="null"/> for none.</param>
    /// <returns>The envelopes, in order.</returns>
    public IReadOnlyList<Envelope> NewMessages(int count, Func<int, Envelope, Envelope>? shape = null) =>
        Enumerable.Range(0, count).Select(i => shape is null ? NewMessage() : shape(i, NewMessage())).ToList();

    /// <summary>Starts a scenario's scope: the destinations and consumers it creates are cleaned up when it ends.</summary>
    /// <returns>The scope; dispose it with <c>await using</c>.</returns>
    public ScenarioScope StartScenario() => new(this);

    /// <summary>The prefixes under which this transport's CloudEvents protocol binding carries attributes as headers
    /// in binary mode, each of which the transport must read: AMQP <c>cloudEvents:</c> and <c>cloudEvents_</c>, Kafka
    /// <c>ce_</c>, the in-memory broker <c>ce-</c>.</summary>
    public virtual IReadOnlyList<string> CloudEventsHeaderPrefixes => throw new NotImplementedException($"{GetType().Name} must say which CloudEvents header prefixes its binding uses (CloudEventsHeaderPrefixes) to run the foreign-message scenarios.");

    /// <summary>Sends a message to a queue the way a publisher that does not use this library would: through the
    /// broker's own client (in-memory: <c>InMemoryBroker.SendNative</c>), with no envelope headers but those in
    /// <paramref name="message"/>, and waits until the broker has it.</summary>
    /// <param name="queue">The queue (or a subscription's queue), which exists.</param>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the broker confirmed the message.</returns>
    /// <remarks>Virtual so that a fixture compiles before it implements it; the foreign-message scenarios fail (never
    /// skip) on a fixture that does not.</remarks>
    public virtual Task SendForeignAsync(string queue, ForeignMessage message, CancellationToken cancellationToken) =>
        throw new NotImplementedException($"{GetType().Name} must implement SendForeignAsync (a raw, broker-native send through the broker's own client) to run the foreign-message scenarios.");

    /// <summary>Another connection to the same broker as <see cref="Transport"/>, as a second process of the
    /// application would have: what one transport leaves behind (unacknowledged messages, checkpoints) is seen by
    /// the other. The fixture owns it and disposes it at the end.</summary>
    /// <param name="cancellationToken">Cancels the connection.</param>
    /// <returns>The other transport. Brokers return a new connection by default.</returns>
    public virtual async Task<ITransport> ConnectAnotherAsync(CancellationToken cancellationToken = default)
    {
        var transport = await CreateTransportAsync(cancellationToken);
        _ownedTransports.Add(transport);
        return transport;
    }

    /// <summary>A transport of the test's own, to dispose early (for the "after dispose" scenarios). The fixture
    /// disposes it again at the end, which must be harmless.</summary>
    /// <param name="cancellationToken">Cancels the connection.</param>
    /// <returns>A new transport, independent of <see cref="Transport"/>'s lifetime.</returns>
    public async Task<ITransport> CreateStandaloneTransportAsync(CancellationToken cancellationToken = default)
    {
        var transport = await CreateTransportAsync(cancellationToken);
        _ownedTransports.Add(transport);
        return transport;
    }

    /// <summary>Creates a transport connected to this fixture's broker; throws (naming the endpoint and its
    /// environment variable) when the broker cannot be reached.</summary>
    /// <param name="cancellationToken">Cancels the connection.</param>
    /// <returns>The transport.</returns>
    protected abstract Task<ITransport> CreateTransportAsync(CancellationToken cancellationToken);

    /// <summary>Starts the broker, or waits for it to be started, before <see cref="CreateTransportAsync"/> and outside
    /// its <see cref="Timeout"/>; a fixture whose broker runs in a container of the test process starts it here.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the broker accepts clients.</returns>
    /// <remarks>By default nothing: the broker is already there.</remarks>
    protected virtual Task StartBrokerAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Lets a subclass keep a transport it created for disposal at the end.</summary>
    /// <param name="transport">The transport.</param>
    protected void Own(ITransport transport) => _ownedTransports.Add(transport);

    internal void Register(Destination destination) => _created.TryAdd(destination, 0);

    internal void Forget(Destination destination) => _created.TryRemove(destination, out _);

    internal void ReportCleanupProblem(string problem) => _cleanupProblems.Enqueue(problem);

    /// <summary>Subscriptions and queues before streams and topics, so nothing is deleted under something that uses it.</summary>
    internal static IEnumerable<Destination> OrderForDeletion(IEnumerable<Destination> destinations) =>
        destinations.OrderBy(d => d.Kind switch
        {
            DestinationKind.Subscription => 0,
            DestinationKind.Queue => 1,
            DestinationKind.Stream => 2,
            _ => 3,
        }).ToList();
}

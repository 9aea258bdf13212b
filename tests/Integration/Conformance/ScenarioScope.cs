namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// What one scenario creates: unique destinations and running consumers. Disposing the scope stops the consumers
/// and deletes the destinations (through <see cref="ITopology.DeleteAsync"/>), so each test cleans up after itself.
/// </summary>
/// <remarks>
/// Cleanup problems are not thrown from here, where they would hide the test's own failure: what cannot be deleted
/// stays registered with the fixture, which retries it and reports every problem when the fixture is disposed.
/// </remarks>
public sealed class ScenarioScope : IAsyncDisposable
{
    private readonly TransportFixture _fixture;
    private readonly List<Destination> _destinations = [];
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly Lock _gate = new();

    internal ScenarioScope(TransportFixture fixture)
    {
        _fixture = fixture;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new topic name, deleted at the end.</summary>
    /// <param name="prefix">What it is for.</param>
    /// <returns>The topic name.</returns>
    public string NewTopic(string prefix = "topic")
    {
        var name = _fixture.UniqueName(prefix);
        Track(Destination.Topic(name));
        return name;
    }

    /// <summary>A new subscription name of a topic, deleted at the end (with its dead-letter queue).</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="prefix">What it is for.</param>
    /// <returns>The subscription name.</returns>
    public string NewSubscription(string topic, string prefix = "sub")
    {
        var name = _fixture.UniqueName(prefix);
        Track(Destination.ForSubscription(topic, name));
        return name;
    }

    /// <summary>A new queue name, deleted at the end (with its dead-letter queue).</summary>
    /// <param name="prefix">What it is for.</param>
    /// <returns>The queue name.</returns>
    public string NewQueue(string prefix = "queue")
    {
        var name = _fixture.UniqueName(prefix);
        Track(Destination.Queue(name));
        return name;
    }

    /// <summary>A new stream name, deleted at the end.</summary>
    /// <param name="prefix">What it is for.</param>
    /// <returns>The stream name.</returns>
    public string NewStream(string prefix = "stream")
    {
        var name = _fixture.UniqueName(prefix);
        Track(Destination.Stream(name));
        return name;
    }

    /// <summary>A new reader group name for a stream; its dead-letter queue is deleted at the end.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="prefix">What it is for.</param>
    /// <returns>The reader group name.</returns>
    public string NewReaderGroup(string stream, string prefix = "group")
    {
        var name = _fixture.UniqueName(prefix);
        Track(Destination.Queue(StreamDeadLetterQueue(stream, name)));
        return name;
    }

    /// <summary>The dead-letter queue of a stream's reader group: <c>&lt;stream&gt;.&lt;group&gt;.dead-letter</c> (see <see cref="IStream"/>).</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="readerGroup">The reader group.</param>
    /// <returns>The queue name.</returns>
    public static string StreamDeadLetterQueue(string stream, string readerGroup) => DestinationNames.DeadLetterQueue(stream + "." + readerGroup);

    /// <summary>Deletes a destination at the end that the scope did not name itself (a dead-letter queue that was consumed, ...).</summary>
    /// <param name="destination">The destination.</param>
    public void Track(Destination destination)
    {
        lock (_gate)
        {
            _destinations.Add(destination);
        }

        _fixture.Register(destination);
    }

    /// <summary>Disposes something at the end, before the destinations are deleted (a consumer, a request client).</summary>
    /// <typeparam name="T">Its type.</typeparam>
    /// <param name="disposable">The thing.</param>
    /// <returns>The same thing.</returns>
    public T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        lock (_gate)
        {
            _owned.Add(disposable);
        }

        return disposable;
    }

    /// <summary>Starts a queue consumer that is disposed at the end.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="options">The options.</param>
    /// <param name="on">The transport to consume through; <see langword="null"/> for the fixture's.</param>
    /// <returns>The consumer.</returns>
    public async Task<IConsumer> ConsumeAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, ITransport? on = null) =>
        Own(await (on ?? _fixture.Transport).Queue.ConsumeAsync(queue, handler, options, Ct));

    /// <summary>Starts a subscription consumer that is disposed at the end.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="subscription">The subscription.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="options">The options.</param>
    /// <param name="on">The transport to consume through; <see langword="null"/> for the fixture's.</param>
    /// <returns>The consumer.</returns>
    public async Task<IConsumer> SubscribeAsync(string topic, string subscription, MessageHandler handler, SubscriptionOptions? options = null, ITransport? on = null) =>
        Own(await (on ?? _fixture.Transport).Subscriber.SubscribeAsync(topic, subscription, handler, options, Ct));

    /// <summary>Starts a stream reader that is disposed at the end.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="readerGroup">The reader group.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="options">The options.</param>
    /// <param name="on">The transport to read through; <see langword="null"/> for the fixture's.</param>
    /// <returns>The reader.</returns>
    public async Task<IConsumer> ReadAsync(string stream, string readerGroup, MessageHandler handler, StreamReadOptions? options = null, ITransport? on = null) =>
        Own(await (on ?? _fixture.Transport).Stream.ReadAsync(stream, readerGroup, handler, options, Ct));

    /// <summary>Stops the consumers, then deletes the destinations.</summary>
    /// <returns>A task that completes when done.</returns>
    public async ValueTask DisposeAsync()
    {
        List<IAsyncDisposable> owned;
        List<Destination> destinations;
        lock (_gate)
        {
            owned = [.. _owned];
            destinations = [.. _destinations];
            _owned.Clear();
            _destinations.Clear();
        }

        for (var i = owned.Count - 1; i >= 0; i--)
        {
            try
            {
                await owned[i].DisposeAsync().AsTask().WaitAsync(_fixture.Timeout, CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _fixture.ReportCleanupProblem($"disposing {owned[i].GetType().Name} in {TestContext.Current.Test?.TestDisplayName}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        foreach (var destination in TransportFixture.OrderForDeletion(destinations.Distinct()))
        {
            try
            {
                using var timeout = new CancellationTokenSource(_fixture.Timeout);
                await _fixture.Transport.Topology.DeleteAsync(destination, timeout.Token);
                _fixture.Forget(destination);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Left registered with the fixture, which tries again and reports it.
            }
        }
    }
}

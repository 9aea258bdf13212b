namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// The base of every scenario area: gives the scenarios their fixture and small shared steps. Scenario areas derive
/// from it as abstract generic classes; each transport adds one sealed one-line subclass per area.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture, shared by the tests of one class.</param>
public abstract class ConformanceScenarios<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : TransportFixture
{
    /// <summary>The fixture.</summary>
    protected TFixture Fixture { get; } = fixture;

    /// <summary>The transport under test.</summary>
    protected ITransport Transport => Fixture.Transport;

    /// <summary>The running test's cancellation token.</summary>
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new delivery log for this run.</summary>
    /// <param name="name">What it records, for failure messages.</param>
    /// <returns>The log.</returns>
    protected DeliveryLog NewLog(string name) => new(name, Fixture);

    /// <summary>The ids of some envelopes, in order.</summary>
    /// <param name="messages">The envelopes.</param>
    /// <returns>The ids.</returns>
    protected static List<string> IdsOf(IEnumerable<Envelope> messages) => messages.Select(m => m.Id).ToList();

    /// <summary>A received message's headers without the one a transport may add: the producer's CloudEvents source
    /// (<see cref="CloudEventHeaders.Source"/>), which a transport whose wire carries it (RabbitMQ, Kafka) shows the
    /// handler although the sent envelope did not name one. Sorted by name, for comparing with what was sent.</summary>
    /// <param name="sent">The envelope that was sent.</param>
    /// <param name="received">The envelope that arrived.</param>
    /// <returns>The received headers, less an added source.</returns>
    protected static IReadOnlyList<KeyValuePair<string, string>> HeadersAsSent(Envelope sent, Envelope received) =>
        received.Headers
            .Where(h => h.Key != CloudEventHeaders.Source || sent.Headers.ContainsKey(CloudEventHeaders.Source))
            .OrderBy(h => h.Key, StringComparer.Ordinal)
            .ToList();

    /// <summary>Publishes messages in batches of up to 100 that fit the transport's batch limits.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="messages">The messages.</param>
    /// <returns>A task that completes when all are confirmed.</returns>
    protected async Task PublishAllAsync(string topic, IReadOnlyList<Envelope> messages)
    {
        foreach (var chunk in FittingBatches(messages))
        {
            await Transport.Publisher.PublishBatchAsync(topic, chunk, Ct);
        }
    }

    /// <summary>Sends messages in batches of up to 100 that fit the transport's batch limits.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="messages">The messages.</param>
    /// <returns>A task that completes when all are confirmed.</returns>
    protected async Task SendAllAsync(string queue, IReadOnlyList<Envelope> messages)
    {
        foreach (var chunk in FittingBatches(messages))
        {
            await Transport.Queue.SendBatchAsync(queue, chunk, Ct);
        }
    }

    /// <summary>Appends messages in batches of up to 100 that fit the transport's batch limits.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="messages">The messages.</param>
    /// <returns>A task that completes when all are confirmed.</returns>
    protected async Task AppendAllAsync(string stream, IReadOnlyList<Envelope> messages)
    {
        foreach (var chunk in FittingBatches(messages))
        {
            await Transport.Stream.AppendBatchAsync(stream, chunk, Ct);
        }
    }

    /// <summary>Splits messages, in order, into batches of at most 100 that stay within
    /// <see cref="TransportCapabilities.MaxBatchEntries"/> and <see cref="TransportCapabilities.MaxBatchBytes"/>.</summary>
    /// <param name="messages">The messages.</param>
    /// <returns>The batches.</returns>
    protected List<List<Envelope>> FittingBatches(IReadOnlyList<Envelope> messages)
    {
        var capabilities = Fixture.Capabilities;
        var maxEntries = Math.Min(100, capabilities.MaxBatchEntries ?? 100);
        var maxBytes = capabilities.MaxBatchBytes ?? long.MaxValue;
        var batches = new List<List<Envelope>>();
        var current = new List<Envelope>();
        long bytes = 0;
        foreach (var message in messages)
        {
            if (current.Count == maxEntries || (current.Count > 0 && bytes + message.Body.Length > maxBytes))
            {
                batches.Add(current);
                current = [];
                bytes = 0;
            }

            current.Add(message);
            bytes += message.Body.Length;
        }

        if (current.Count > 0)
        {
            batches.Add(current);
        }

        return batches;
    }

    /// <summary>Waits for a task the test expects to complete, failing with <paramref name="what"/> after the fixture's timeout.</summary>
    /// <param name="task">The task.</param>
    /// <param name="what">What the task is, for the failure message.</param>
    /// <returns>A task that completes with it.</returns>
    protected async Task Within(Task task, string what)
    {
        try
        {
            await task.WaitAsync(Fixture.Timeout, Ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Timed out after {Fixture.Timeout.TotalSeconds} s waiting for {what}.");
        }
    }

    /// <summary>Waits for a task the test expects to complete, failing with <paramref name="what"/> after the fixture's timeout.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="task">The task.</param>
    /// <param name="what">What the task is, for the failure message.</param>
    /// <returns>The task's result.</returns>
    protected async Task<T> Within<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Fixture.Timeout, Ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Timed out after {Fixture.Timeout.TotalSeconds} s waiting for {what}.");
            throw;
        }
    }

    /// <summary>A task source whose continuations do not run inline in the transport's delivery loop.</summary>
    /// <returns>The source.</returns>
    protected static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A task source whose continuations do not run inline in the transport's delivery loop.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <returns>The source.</returns>
    protected static TaskCompletionSource<T> NewSignal<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

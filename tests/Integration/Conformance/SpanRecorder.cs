using System.Collections.Concurrent;
using System.Diagnostics;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Records the library's spans that concern one scenario's destinations: its listener samples only spans named
/// <c>&lt;operation&gt; &lt;destination&gt;</c> for those destinations and drops every other, so scenarios running in
/// parallel on the process-wide <see cref="ActivitySource"/> neither see nor change one another's messages (an unsampled
/// send writes no trace header).
/// </summary>
public sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentDictionary<string, byte> _destinations = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Activity> _finished = new();
    private readonly Lock _gate = new();
    private readonly List<(Func<IReadOnlyList<Activity>, bool> Condition, TaskCompletionSource Signal)> _waiters = [];

    /// <summary>Starts listening for spans of the given destinations.</summary>
    /// <param name="destinations">The topics, queues and streams of the scenario (their dead-letter queues included if wanted).</param>
    public SpanRecorder(params string[] destinations)
    {
        foreach (var destination in destinations)
        {
            _destinations[destination] = 0;
        }

        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MessagingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                IsOurs(options.Name) ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = Finished,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The finished spans of one destination (by <c>messaging.destination.name</c>).</summary>
    /// <param name="destination">The destination.</param>
    /// <returns>The spans, in the order they finished.</returns>
    public IReadOnlyList<Activity> Of(string destination) =>
        _finished.Where(a => Equals(a.GetTagItem("messaging.destination.name"), destination)).ToList();

    /// <summary>Waits until the finished spans satisfy a condition, failing after the fixture's timeout with what was recorded.</summary>
    /// <param name="condition">The condition on every finished span so far.</param>
    /// <param name="what">What is awaited, for the failure message.</param>
    /// <param name="fixture">The fixture, for its timeout.</param>
    /// <returns>A task that completes when the condition holds.</returns>
    public async Task WaitUntilAsync(Func<IReadOnlyList<Activity>, bool> condition, string what, TransportFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(fixture);
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (condition([.. _finished]))
            {
                return;
            }

            _waiters.Add((condition, signal));
        }

        try
        {
            await signal.Task.WaitAsync(fixture.Timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Timed out after {fixture.Timeout.TotalSeconds} s waiting for {what}; spans recorded: {string.Join(", ", _finished.Select(a => $"{a.DisplayName} ({a.Kind}, trace {a.TraceId})"))}.");
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private bool IsOurs(string name) => name.IndexOf(' ', StringComparison.Ordinal) is var space and > 0 && _destinations.ContainsKey(name[(space + 1)..]);

    private void Finished(Activity activity)
    {
        // Every listener of the source sees every span another listener sampled: keep only this scenario's.
        if (!IsOurs(activity.OperationName))
        {
            return;
        }

        List<TaskCompletionSource>? satisfied = null;
        lock (_gate)
        {
            _finished.Enqueue(activity);
            var finished = _finished.ToList();
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Condition(finished))
                {
                    (satisfied ??= []).Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        satisfied?.ForEach(s => s.TrySetResult());
    }
}

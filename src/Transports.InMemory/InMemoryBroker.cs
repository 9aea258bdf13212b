using System.Collections.Concurrent;
using Messaging.Adapters.InMemory.Queues;
using Messaging.Adapters.InMemory.Streams;

namespace Messaging.Adapters.InMemory;

/// <summary>
/// The state an in-memory "broker" holds: topics, queues and streams. Several <see cref="InMemoryTransport"/>
/// instances can share one broker, as several processes share one RabbitMQ, so tests can stop one transport
/// (a simulated crash of its process) while the messages it left stay for the others.
/// </summary>
public sealed class InMemoryBroker
{
    private readonly ConcurrentDictionary<string, TopicState> _topics = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, QueueState> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StreamLog> _streams = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates an empty broker.</summary>
    /// <param name="timeProvider">The clock for stream append times; <see langword="null"/> for the system clock.</param>
    public InMemoryBroker(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How many messages wait in a queue, not counting those being handled.</summary>
    /// <param name="queue">The queue name.</param>
    /// <returns>The count; 0 for a queue that does not exist.</returns>
    public int CountReady(string queue) => _queues.TryGetValue(queue, out var state) ? state.CountReady() : 0;

    /// <summary>Puts a message written by something other than this library into a queue (creating the queue if
    /// needed), read the way a broker's consumer reads a foreign message: CloudEvents attributes, a stable id, every
    /// header in its documented string form, and reserved headers from outside ignored.</summary>
    /// <param name="queue">The queue (or a subscription's queue, <c>&lt;topic&gt;.&lt;subscription&gt;</c>).</param>
    /// <param name="message">The message.</param>
    public void SendNative(string queue, InMemoryNativeMessage message)
    {
        DestinationNames.Validate(queue, "queue", nameof(queue));
        ArgumentNullException.ThrowIfNull(message);
        var incoming = new Transport.IncomingEnvelope(message.Body, "inmemory.message")
        {
            MessageId = message.MessageId,
            Type = message.Type,
            ContentType = message.ContentType,
            Timestamp = message.Timestamp,
        };
        foreach (var (name, value) in message.Headers)
        {
            if (CloudEventHeaders.AttributeOf(name) is { } attribute)
            {
                incoming.AddCloudEventAttribute(attribute, value);
            }
            else
            {
                incoming.AddHeader(name, value);
            }
        }

        GetOrAddQueue(queue).Enqueue(new Delivery(incoming.Build()));
    }

    internal TopicState GetOrAddTopic(string name) => _topics.GetOrAdd(name, static n => new TopicState(n));

    internal bool TryGetTopic(string name, out TopicState topic) => _topics.TryGetValue(name, out topic!);

    internal bool TryGetQueue(string name, out QueueState queue) => _queues.TryGetValue(name, out queue!);

    internal QueueState GetOrAddQueue(string name) => _queues.GetOrAdd(name, static n => new QueueState(n));

    internal StreamLog GetOrAddStream(string name) => _streams.GetOrAdd(name, static (n, time) => new StreamLog(n, time), _time);

    internal void DeleteTopic(string name)
    {
        if (_topics.TryRemove(name, out var topic))
        {
            topic.Clear();
        }
    }

    internal void DeleteQueue(string name)
    {
        if (_queues.TryRemove(name, out var queue))
        {
            queue.MarkDeleted();
        }
    }

    internal void DeleteStream(string name) => _streams.TryRemove(name, out _);
}

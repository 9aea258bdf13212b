using System.Collections.Concurrent;

namespace Messaging.Adapters.Tests.TestDoubles;

/// <summary>
/// An <see cref="IQueue"/> that keeps what it is asked to do, for tests of code that drives a queue
/// (dead-letter re-sending, replies, typed sends) without a transport behind it.
/// </summary>
internal sealed class RecordingQueue : IQueue
{
    private readonly ConcurrentQueue<(string Queue, Envelope Message, CancellationToken Token)> _sent = new();
    private readonly ConcurrentQueue<ConsumeCall> _consumed = new();

    /// <summary>Every message sent, in order, with its queue and the token it was sent with.</summary>
    public IReadOnlyList<(string Queue, Envelope Message, CancellationToken Token)> Sent => [.. _sent];

    /// <summary>Every consumer started, in order.</summary>
    public IReadOnlyList<ConsumeCall> Consumed => [.. _consumed];

    /// <inheritdoc />
    public ValueTask SendAsync(string queue, Envelope message, CancellationToken cancellationToken = default)
    {
        _sent.Enqueue((queue, message, cancellationToken));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask SendBatchAsync(string queue, IReadOnlyList<Envelope> messages, CancellationToken cancellationToken = default)
    {
        foreach (var message in messages)
        {
            _sent.Enqueue((queue, message, cancellationToken));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IConsumer> ConsumeAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = new ConsumeCall(queue, handler, options, new RecordingConsumer());
        _consumed.Enqueue(call);
        return Task.FromResult<IConsumer>(call.Consumer);
    }

    /// <summary>One call of <see cref="ConsumeAsync"/>.</summary>
    public sealed record ConsumeCall(string Queue, MessageHandler Handler, ConsumerOptions? Options, RecordingConsumer Consumer);

    /// <summary>A consumer that counts how often it was stopped and disposed; <see cref="Die"/> ends it with an error.</summary>
    public sealed class RecordingConsumer : IConsumer
    {
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _stops;
        private int _disposals;

        public int Stops => Volatile.Read(ref _stops);

        public int Disposals => Volatile.Read(ref _disposals);

        public Task Completion => _completion.Task;

        public Task StopAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _stops);
            _completion.TrySetResult();
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Interlocked.Increment(ref _disposals);
            _completion.TrySetResult();
            return ValueTask.CompletedTask;
        }

        /// <summary>Ends the consumer as if it failed on its own.</summary>
        public void Die(Exception error) => _completion.TrySetException(error);
    }
}

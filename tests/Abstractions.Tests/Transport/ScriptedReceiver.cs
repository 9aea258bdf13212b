using System.Collections.Concurrent;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Tests.Transport;

/// <summary>A receiver that records every settlement, for engine tests; push by <see cref="Push"/>, or pull from
/// <see cref="Pending"/> when <see cref="Pulling"/> is on.</summary>
internal class ScriptedReceiver : IDeliveryReceiver<ScriptedReceiver.Item>
{
    public IDeliverySink<Item> Sink { get; private set; } = null!;

    public DeliveryScope Scope { get; private set; } = null!;

    public ConcurrentQueue<string> Settled { get; } = new();

    public Func<Item, ValueTask>? OnDeadLetter { get; set; }

    public bool Closed { get; private set; }

    public virtual Task StartAsync(IDeliverySink<Item> sink, CancellationToken cancellationToken)
    {
        Sink = sink;
        Scope = sink.CreateScope("test");
        return Task.CompletedTask;
    }

    public Item Create(string id, string? key = null, int attempt = 1) =>
        new(new ReceivedMessage(new Envelope("test.message", ReadOnlyMemory<byte>.Empty) { Id = id, Key = key }, "source", attempt), Scope);

    public void Push(string id, string? key = null) => Sink.Dispatch(Create(id, key));

    public Task StopReceivingAsync() => Task.CompletedTask;

    public virtual ValueTask AcknowledgeAsync(Item delivery) => Record("ack", delivery);

    public ValueTask ReleaseAsync(Item delivery, int attemptsMade) => Record($"release({attemptsMade})", delivery);

    public ValueTask RetryLaterAsync(Item delivery, Envelope retry, TimeSpan delay) => Record("retry", delivery);

    public async ValueTask DeadLetterAsync(Item delivery, Envelope deadLetter)
    {
        if (OnDeadLetter is not null)
        {
            await OnDeadLetter(delivery);
        }

        await Record("dead-letter", delivery);
    }

    public Task CloseAsync()
    {
        Closed = true;
        return Task.CompletedTask;
    }

    private ValueTask Record(string what, Item delivery)
    {
        Settled.Enqueue($"{what}:{delivery.Message.Envelope.Id}");
        return ValueTask.CompletedTask;
    }

    internal sealed class Item(ReceivedMessage message, DeliveryScope scope) : InboundDelivery(message, scope);
}

namespace Messaging.Adapters.Testing.Tests.Containers;

public sealed class RecordOrder(HandledOrders handled) : IMessageHandler<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced message, ReceivedMessage context, CancellationToken cancellationToken)
    {
        handled.Add(context.Envelope.Id, message.OrderId);
        return ValueTask.CompletedTask;
    }
}

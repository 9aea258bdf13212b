using System.Collections.Concurrent;
using Messaging.Adapters;
using OrderWorkflow.Story;

namespace OrderWorkflow.Services;

/// <summary>
/// Writes to customers: a confirmation on <c>order.placed</c>, a shipping notice on <c>order.shipped</c>, an
/// apology on <c>order.cancelled</c>.
/// </summary>
internal sealed class EmailService(
    MessageCodec codec,
    IIdempotencyStore inbox,
    Narrator narrator,
    Milestones milestones)
{
    private const string Who = WorkflowNames.Email;

    private readonly ConcurrentDictionary<string, string> _customers = new(StringComparer.Ordinal);

    public static IReadOnlyCollection<string> HandledTypes { get; } = [OrderPlaced.TypeName, OrderShipped.TypeName, OrderCancelled.TypeName];

    /// <summary>The handler of the email subscription of the orders topic.</summary>
    public MessageHandler CreateHandler() => Inbox.Protect(HandleAsync, inbox, Who, narrator, milestones);

    private ValueTask HandleAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        var envelope = message.Envelope;
        switch (envelope.Type)
        {
            case OrderPlaced.TypeName:
                var placed = codec.Decode<OrderPlaced>(envelope);
                _customers[placed.OrderId] = placed.Customer;
                Send(placed.Customer, $"Thank you for order {placed.OrderId} ({Describe.Money(placed.Total)})", envelope.Type, placed.OrderId);
                break;
            case OrderShipped.TypeName:
                var shipped = codec.Decode<OrderShipped>(envelope);

                // The confirmation and the notice come through one subscription but may be handled concurrently;
                // if this copy overtook the order, failing sends it back through the retry policy until it has not.
                var customer = _customers.TryGetValue(shipped.OrderId, out var known)
                    ? known
                    : throw new InvalidOperationException($"Order {shipped.OrderId} has not been seen yet; retry later.");
                Send(customer, $"Order {shipped.OrderId} is on its way: {shipped.Parcel}", envelope.Type, shipped.OrderId);
                break;
            case OrderCancelled.TypeName:
                var cancelled = codec.Decode<OrderCancelled>(envelope);
                Send(cancelled.Customer, $"Sorry, order {cancelled.OrderId} was cancelled: {cancelled.Reason}", envelope.Type, cancelled.OrderId);
                break;
            default:
                throw new DeadLetterException($"The email service does not handle '{envelope.Type}'.");
        }

        return ValueTask.CompletedTask;
    }

    private void Send(string to, string subject, string type, string orderId)
    {
        narrator.Say(Who, $"to {to}: \"{subject}\"");
        milestones.Mark($"email:{type}:{orderId}");
    }
}

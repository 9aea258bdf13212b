using Messaging.Adapters;

namespace OrdersWorker.Handlers;

/// <summary>Issues an invoice: not something to do twice, so its consumer is idempotent (a message id handled once is
/// skipped when it is delivered again).</summary>
public sealed class IssueInvoiceHandler(Journal journal) : IMessageHandler<IssueInvoice>
{
    /// <inheritdoc />
    public ValueTask HandleAsync(IssueInvoice command, ReceivedMessage context, CancellationToken cancellationToken)
    {
        journal.Add("invoices: issued", command.OrderId);
        return ValueTask.CompletedTask;
    }
}

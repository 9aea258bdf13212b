using Messaging.Adapters;

namespace OrdersWorker.Handlers;

/// <summary>Charges a card; two consumers of the payments queue run it, one message at a time each.</summary>
public sealed class ChargeCardHandler(Journal journal) : IMessageHandler<ChargeCard>
{
    /// <inheritdoc />
    public async ValueTask HandleAsync(ChargeCard command, ReceivedMessage context, CancellationToken cancellationToken)
    {
        using (journal.Busy("payments"))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);   // the card network
        }

        journal.Add("payments: charged", command.PaymentId);
    }
}

using System.Collections.Concurrent;
using Messaging.Adapters;
using OrderWorkflow.Story;

namespace OrderWorkflow.Services;

/// <summary>
/// A payment worker that settles card payments with the bank, one job at a time. Several workers consume the same
/// queue; each job goes to one of them.
/// </summary>
internal sealed class SettlementWorker(string name, MessageCodec codec, Narrator narrator)
{
    private readonly ConcurrentQueue<SettlePayment> _settled = new();

    private static readonly TimeSpan BankCallDuration = TimeSpan.FromMilliseconds(10);

    public string Name { get; } = name;

    /// <summary>The jobs this worker settled, in the order it settled them.</summary>
    public IReadOnlyList<SettlePayment> Settled => [.. _settled];

    /// <summary>Runs before the worker's first job, if set; the demo uses it to hold that job until every worker
    /// has one, so it shows the sharing without depending on thread timing.</summary>
    public Func<SettlementWorker, CancellationToken, Task>? BeforeFirstJob { get; init; }

    /// <summary>Called after each job is settled.</summary>
    public Action<SettlementWorker, SettlePayment>? SettledCallback { get; init; }

    public MessageHandler Handler => codec.Handler<SettlePayment>(SettleAsync);

    private async ValueTask SettleAsync(SettlePayment job, ReceivedMessage message, CancellationToken cancellationToken)
    {
        if (job.Amount <= 0)
        {
            // Retrying cannot fix a wrong amount: dead-letter at once, with the reason.
            throw new DeadLetterException($"Job {job.Job} for order {job.OrderId}: the amount must be positive, was {Describe.Money(job.Amount)}.");
        }

        if (_settled.IsEmpty && BeforeFirstJob is { } hold)
        {
            await hold(this, cancellationToken).ConfigureAwait(false);
        }

        // The bank's settlement call: a short stand-in for real work, so jobs spread over the workers as they
        // would in production instead of the first free worker draining the queue in microseconds.
        await Task.Delay(BankCallDuration, cancellationToken).ConfigureAwait(false);

        _settled.Enqueue(job);
        narrator.Say(Name, $"settled job {job.Job} (order {job.OrderId}, {Describe.Money(job.Amount)})");
        SettledCallback?.Invoke(this, job);
    }
}

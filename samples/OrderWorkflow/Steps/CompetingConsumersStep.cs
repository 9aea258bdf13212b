using Messaging.Adapters;
using OrderWorkflow.Services;
using OrderWorkflow.Story;

namespace OrderWorkflow.Steps;

/// <summary>
/// Step 2: two payment workers consume one queue. Each settlement job is handled by exactly one of them.
/// </summary>
internal sealed class CompetingConsumersStep(IQueue queue, MessageCodec codec, WorkflowNames names, Milestones milestones, Checklist checks, Narrator narrator) : IWorkflowStep
{
    private const int JobCount = 10;
    private static readonly string[] WorkerNames = ["payment-worker-a", "payment-worker-b"];

    public string Title => "Competing consumers: two payment workers share one queue";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Each worker holds its first job until the other worker has one too. With one job in flight per worker,
        // the second job can then only go to the other worker, so the demo shows the sharing every time instead of
        // depending on thread timing. A transport that gave every job to one worker fails the check below.
        var everyWorkerBusy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var busyWorkers = 0;
        async Task HoldFirstJobAsync(SettlementWorker worker, CancellationToken token)
        {
            if (Interlocked.Increment(ref busyWorkers) == 2)
            {
                everyWorkerBusy.TrySetResult();
            }

            try
            {
                await everyWorkerBusy.Task.WaitAsync(Checklist.Timeout, token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                narrator.Say(worker.Name, "the other worker got no job; carrying on alone");
            }
        }

        var settled = milestones["settled:step2"];
        var workers = WorkerNames
            .Select(name => new SettlementWorker(name, codec, narrator)
            {
                BeforeFirstJob = HoldFirstJobAsync,
                SettledCallback = (_, _) => milestones.Mark(settled.Name),
            })
            .ToList();

        var options = new ConsumerOptions { MaxInFlight = 1 };
        var consumers = new List<IConsumer>();
        try
        {
            foreach (var worker in workers)
            {
                consumers.Add(await queue.ConsumeAsync(names.PaymentJobsQueue, worker.Handler, options, cancellationToken).ConfigureAwait(false));
            }

            narrator.Line($"{workers[0].Name} and {workers[1].Name} consume {names.PaymentJobsQueue}, one job at a time each;");
            narrator.Line($"sending {JobCount} settlement jobs in one batch");
            var jobs = Enumerable.Range(1, JobCount)
                .Select(job => codec.Encode(new SettlePayment(job, $"{2000 + job}", 10.00m + job)) with { Key = $"job-{job}" })
                .ToList();
            await queue.SendBatchAsync(names.PaymentJobsQueue, jobs, cancellationToken).ConfigureAwait(false);

            await checks.WaitForAsync(settled, $"all {JobCount} jobs were settled", cancellationToken, times: JobCount).ConfigureAwait(false);
        }
        finally
        {
            foreach (var consumer in consumers)
            {
                await consumer.DisposeAsync().ConfigureAwait(false);
            }
        }

        foreach (var worker in workers)
        {
            var jobs = worker.Settled.Select(j => j.Job).Order().ToList();
            narrator.Line($"{worker.Name} settled {jobs.Count} job(s): {string.Join(", ", jobs)}");
        }

        checks.Verify(workers.All(w => w.Settled.Count > 0), "both workers did work",
            string.Join(", ", workers.Select(w => $"{w.Name}: {w.Settled.Count}")));

        var handled = workers.SelectMany(w => w.Settled).Select(j => j.Job).ToList();
        var missing = Enumerable.Range(1, JobCount).Except(handled).ToList();
        var duplicated = handled.GroupBy(j => j).Where(g => g.Count() > 1).Select(g => $"{g.Key} ({g.Count()} times)").ToList();
        checks.Verify(missing.Count == 0 && duplicated.Count == 0, $"each of the {JobCount} jobs was settled exactly once",
            $"missing [{string.Join(", ", missing)}], duplicated [{string.Join(", ", duplicated)}]");
    }
}

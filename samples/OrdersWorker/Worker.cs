using Messaging.Adapters;
using OrdersWorker.Handlers;

namespace OrdersWorker;

/// <summary>
/// The application's own work: it tells the six steps of the story, prints what happened and checks it, then stops
/// the application with exit code 0 when every check passed, 1 otherwise. On stop it deletes what the run created.
/// </summary>
public sealed class Worker(
    ITransport transport,
    IPublisher publisher,
    IQueue queue,
    IStream stream,
    IRequestClient requests,
    IDeadLetters deadLetters,
    MessageCodec codec,
    Journal journal,
    Catalog catalog,
    Names names,
    IHostApplicationLifetime application) : BackgroundService
{
    /// <summary>How long a step waits for what should take milliseconds (a consumer group's first rebalance may take seconds).</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>How long nothing may happen at the end, so that a late duplicate would be seen.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    private readonly Checks _checks = new();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Environment.ExitCode = 1;   // until the story has ended with every check passed (Ctrl+C midway is not a pass)
        Console.WriteLine($"Orders worker on {transport.Name}; topic {names.Orders}, queues {names.Payments}, {names.Stock}, {names.Prices}, {names.Invoices}, stream {names.OrderHistory}");
        await StepAsync("1. Typed events on one topic, two subscriptions", TypedEventsAsync, stoppingToken);
        await StepAsync("2. A command queue, two competing consumers", CompetingConsumersAsync, stoppingToken);
        await StepAsync("3. Retries, dead letters and redrive", RetriesAndDeadLettersAsync, stoppingToken);
        await StepAsync("4. Request/reply", RequestReplyAsync, stoppingToken);
        await StepAsync("5. Stream replay", StreamReplayAsync, stoppingToken);
        await StepAsync("6. An idempotent handler", IdempotentHandlerAsync, stoppingToken);
        await StepAsync("Nothing more", NothingMoreAsync, stoppingToken);

        Console.WriteLine(_checks.Summary());
        Environment.ExitCode = _checks.AllPassed ? 0 : 1;
        application.StopApplication();
    }

    /// <summary>Deletes what this run created, once the hosted consumers have stopped (they were registered after this
    /// service, so the host stops them first), so that a rerun on a durable broker starts from nothing.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Destination[] created =
        [
            Destination.ForSubscription(names.Orders, "tracking"),
            Destination.ForSubscription(names.Orders, "email"),
            Destination.Topic(names.Orders),
            Destination.Queue(names.Payments),
            Destination.Queue(DestinationNames.DeadLetterQueue(names.Stock)),   // read by the redrive, as a queue of its own
            Destination.Queue(names.Stock),
            Destination.Queue(names.Prices),
            Destination.Queue(names.Invoices),
            .. transport.Capabilities.Streams ? [Destination.Stream(names.OrderHistory)] : Array.Empty<Destination>(),
        ];
        try
        {
            foreach (var destination in created)
            {
                await transport.Topology.DeleteAsync(destination, cancellationToken);
            }

            Console.WriteLine($"Deleted the {created.Length} topics, subscriptions, queues and streams of this run.");
        }
        catch (Exception ex) when (ex is MessagingException or OperationCanceledException)
        {
            Console.WriteLine($"FAILED: could not delete what this run created: {ex.Message}");
            Environment.ExitCode = 1;
        }
    }

    private async Task TypedEventsAsync(CancellationToken cancellationToken)
    {
        await publisher.PublishAsync(names.Orders, new OrderPlaced("1001", 25.00m), codec, key: "1001", cancellationToken);
        await publisher.PublishAsync(names.Orders, new OrderPlaced("1002", 14.50m), codec, key: "1002", cancellationToken);
        await publisher.PublishAsync(names.Orders, new OrderShipped("1001", "DHL"), codec, key: "1001", cancellationToken);
        await journal.WaitUntilAsync(
            j => j.Values("tracking: placed").Count >= 2 && j.Values("tracking: shipped").Count >= 1 && j.Values("email: confirmation sent").Count >= 2,
            Patience,
            cancellationToken);

        _checks.Expect("tracking's OrderPlaced handler handled orders 1001 and 1002, once each", ["1001", "1002"], journal.Values("tracking: placed"));
        _checks.Expect("tracking's OrderShipped handler handled order 1001, once", ["1001"], journal.Values("tracking: shipped"));
        _checks.Expect("email handled OrderPlaced 1001 and 1002 only (OrderShipped never reached it)", ["1001", "1002"], journal.Values("email: confirmation sent"));
        var emailDeadLetters = await deadLetters.CountAsync(DestinationNames.DeadLetterQueue(DestinationNames.SubscriptionQueue(names.Orders, "email")), cancellationToken);
        _checks.That("email dead-lettered nothing (an OrderShipped is not a poison message to it)", emailDeadLetters.Messages == 0, $"{emailDeadLetters.Messages} dead letters");
    }

    private async Task CompetingConsumersAsync(CancellationToken cancellationToken)
    {
        var payments = Enumerable.Range(1, 10).Select(n => $"P-{n:00}").ToList();
        foreach (var payment in payments)
        {
            await queue.SendAsync(names.Payments, new ChargeCard(payment, 10m), codec, key: payment, cancellationToken);
        }

        await journal.WaitUntilAsync(j => j.Values("payments: charged").Count >= payments.Count, Patience, cancellationToken);
        _checks.Expect("each of the 10 payments was charged exactly once", payments, journal.Values("payments: charged"));
        _checks.That(
            "both consumers charged cards at the same time, and never more than one card each",
            journal.MostAtOnce("payments") == 2,
            $"at most {journal.MostAtOnce("payments")} at once");
    }

    private async Task RetriesAndDeadLettersAsync(CancellationToken cancellationToken)
    {
        var slow = await queue.SendAsync(names.Stock, new ReserveStock(ReserveStockHandler.SlowOrder, "A-1"), codec, cancellationToken: cancellationToken);
        var poison = await queue.SendAsync(names.Stock, new ReserveStock("1002", "B-2"), codec, cancellationToken: cancellationToken);
        await journal.WaitUntilAsync(
            j => j.Values("stock: reserved").Count >= 1 && j.Values("stock: attempt").Contains("B-2 #3"),
            Patience,
            cancellationToken);

        _checks.Expect("A-1 timed out twice and was reserved on attempt 3", ["A-1 #1", "A-1 #2", "A-1 #3"], Attempts("A-1"));
        _checks.Expect("A-1 was reserved once", [$"A-1 (message {slow.Id})"], journal.Values("stock: reserved"));
        _checks.Expect("B-2, not in the catalog, failed all 3 attempts and went to the dead-letter queue", ["B-2 #1", "B-2 #2", "B-2 #3"], Attempts("B-2"));

        var stockDeadLetters = DestinationNames.DeadLetterQueue(names.Stock);
        var letters = await deadLetters.PeekAsync(stockDeadLetters, cancellationToken: cancellationToken);
        foreach (var letter in letters)
        {
            Console.WriteLine($"    in {stockDeadLetters}: {letter.Type} {letter.Id} after {letter.Attempts} attempts: {letter.Reason}");
        }

        _checks.Expect("peeking the dead-letter queue shows B-2's message, and leaves it there", [poison.Id], letters.Select(l => l.Id));

        Console.WriteLine("    the fix: B-2 is added to the catalog, then the dead letters go back to their queue");
        catalog.Add("B-2");
        var redrive = await deadLetters.RedriveAsync(stockDeadLetters, cancellationToken: cancellationToken);
        Console.WriteLine($"    redrive: {redrive.RedrivenCount} sent back ({string.Join(", ", redrive.Redriven)}), {redrive.Kept.Count} kept, ended: {redrive.Ended}");
        _checks.Expect("the redrive sent exactly B-2's message back", [poison.Id], redrive.Redriven);
        _checks.That("the redrive ran until the dead-letter queue was empty", redrive.Ended == RedriveEnd.Emptied, $"ended: {redrive.Ended}");
        await journal.WaitUntilAsync(j => j.Values("stock: reserved").Count >= 2, Patience, cancellationToken);
        _checks.Expect(
            "B-2 came back with its message id and was reserved once",
            [$"A-1 (message {slow.Id})", $"B-2 (message {poison.Id})"],
            journal.Values("stock: reserved"));
        _checks.Expect("B-2 started again at attempt 1", ["B-2 #1", "B-2 #1", "B-2 #2", "B-2 #3"], Attempts("B-2"));

        IEnumerable<string> Attempts(string sku) => journal.Values("stock: attempt").Where(a => a.StartsWith(sku + " ", StringComparison.Ordinal));
    }

    private async Task RequestReplyAsync(CancellationToken cancellationToken)
    {
        var quotes = new List<string>();
        foreach (var sku in new[] { "A-1", "B-2" })
        {
            var quote = await requests.GetResponseAsync<PriceRequest, PriceQuote>(names.Prices, new PriceRequest(sku), cancellationToken: cancellationToken);
            Console.WriteLine($"    price of {quote.Sku}: {quote.Price:0.00}");
            quotes.Add($"{quote.Sku} {quote.Price:0.00}");
        }

        _checks.Expect("the price list answered A-1 at 12.50 and B-2 at 7.25", ["A-1 12.50", "B-2 7.25"], quotes);
    }

    private async Task StreamReplayAsync(CancellationToken cancellationToken)
    {
        const string expectation = "a new reader group replayed the order history from its start";
        if (!transport.Capabilities.Streams)
        {
            _checks.Skip(expectation, $"the {transport.Name} transport offers no streams");
            return;
        }

        foreach (var order in new[] { new OrderPlaced("1001", 25.00m), new OrderPlaced("1002", 14.50m), new OrderPlaced("1003", 8.75m) })
        {
            await stream.AppendAsync(names.OrderHistory, order, codec, key: order.OrderId, cancellationToken);
        }

        // Everything is in the stream before anyone reads it; the reader group starts at the beginning, and
        // ResumeFromCheckpoint = false makes it replay from there even when the group has read the stream before.
        var read = new StreamReadOptions { StartPosition = StreamPosition.Beginning, ResumeFromCheckpoint = false };
        await using (await stream.ReadAsync(names.OrderHistory, "sales-report", SalesReport, read, cancellationToken))
        {
            await journal.WaitUntilAsync(j => j.Values("sales-report: replayed").Count >= 3, Patience, cancellationToken);
        }

        _checks.Expect(expectation, ["1001", "1002", "1003"], journal.Values("sales-report: replayed"));

        ValueTask SalesReport(ReceivedMessage message, CancellationToken ct)
        {
            journal.Add("sales-report: replayed", codec.Decode<OrderPlaced>(message.Envelope).OrderId);
            return ValueTask.CompletedTask;
        }
    }

    private async Task IdempotentHandlerAsync(CancellationToken cancellationToken)
    {
        var invoice = await queue.SendAsync(names.Invoices, new IssueInvoice("1001"), codec, key: "1001", cancellationToken);
        await journal.WaitUntilAsync(j => j.Values("invoices: issued").Count >= 1, Patience, cancellationToken);
        Console.WriteLine($"    the same message ({invoice.Id}) delivered again, then invoice 1002");
        await queue.SendAsync(names.Invoices, invoice, cancellationToken);
        await queue.SendAsync(names.Invoices, new IssueInvoice("1002"), codec, key: "1002", cancellationToken);
        await journal.WaitUntilAsync(j => j.Values("invoices: issued").Contains("1002"), Patience, cancellationToken);
        await Task.Delay(Quiet, cancellationToken);

        _checks.Expect("invoice 1001 was issued once although its message came twice; 1002 once", ["1001", "1002"], journal.Values("invoices: issued"));
    }

    private async Task NothingMoreAsync(CancellationToken cancellationToken)
    {
        var before = journal.Count;
        await Task.Delay(Quiet, cancellationToken);
        _checks.That($"no handler ran again in the last {Quiet.TotalSeconds:0} s (no late duplicate)", journal.Count == before, $"{journal.Count - before} more");
    }

    private async Task StepAsync(string step, Func<CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        Console.WriteLine(step);
        try
        {
            await run(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _checks.Failed(step, ex);
        }
    }
}

using Messaging.Adapters.Docs.Samples;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Adapters.Docs;

/// <summary>The samples of src/Abstractions/README.md, each run on the in-memory transport.</summary>
public sealed class AbstractionsReadmeTests
{
    [Fact]
    public async Task Typed_subscriptions_on_a_shared_topic()
    {
        var builder = DocsHost.CreateBuilder();
        var services = builder.Services;
        // snippet: typed-subscriptions
        // Only OrderPlaced: the subscription's filter is its type, applied by the broker where it can filter. The
        // topic's other types never reach the handler and are never dead-lettered.
        services.AddSubscription<OrderPlaced, SendConfirmationEmail>("orders", "email");

        // One handler per type, no switch on the type name; the subscription keeps the types handled here.
        services.AddSubscription("orders", "tracking", handlers => handlers
            .Handle<OrderPlaced, StartTracking>()
            .Handle<OrderShipped, UpdateTracking>());
        // end snippet
        using var host = builder.Build();
        var cancellationToken = TestContext.Current.CancellationToken;
        await host.StartAsync(cancellationToken);
        var publisher = host.Services.GetRequiredService<IPublisher>();
        var codec = host.Services.GetRequiredService<MessageCodec>();

        await publisher.PublishAsync("orders", new OrderPlaced("1001", 25m), codec, cancellationToken: cancellationToken);
        await publisher.PublishAsync("orders", new OrderShipped("1001"), codec, cancellationToken: cancellationToken);
        await publisher.PublishAsync("orders", new OrderCancelled("1001"), codec, cancellationToken: cancellationToken);

        await host.Services.GetRequiredService<Journal>().AssertExactlyAsync("email 1001", "tracking started 1001", "tracking shipped 1001");
        await host.StopAsync(cancellationToken);
    }

    [Fact]
    public async Task Queue_consumers()
    {
        var builder = DocsHost.CreateBuilder();
        var services = builder.Services;
        // snippet: queue-consumers
        services.AddQueueConsumer<ChargeCard, ChargeCardHandler>(
            "payments",
            new ConsumerOptions { MaxInFlight = 8, Ordering = MessageOrdering.ByKey },
            consumers: 2);                                   // two competing consumers in this process

        // One queue, several commands: each type to its handler; a type no handler takes is dead-lettered.
        services.AddQueueConsumer("shipping", handlers => handlers
            .Handle<ShipOrder, ShipOrderHandler>()
            .Handle<CancelShipment, CancelShipmentHandler>());
        // end snippet
        using var host = builder.Build();
        var cancellationToken = TestContext.Current.CancellationToken;
        await host.StartAsync(cancellationToken);
        var queue = host.Services.GetRequiredService<IQueue>();
        var codec = host.Services.GetRequiredService<MessageCodec>();

        await queue.SendAsync("payments", new ChargeCard("1001", 25m), codec, key: "1001", cancellationToken: cancellationToken);
        await queue.SendAsync("shipping", new ShipOrder("1001"), codec, cancellationToken: cancellationToken);
        await queue.SendAsync("shipping", new CancelShipment("1002"), codec, cancellationToken: cancellationToken);

        await host.Services.GetRequiredService<Journal>().AssertExactlyAsync("charged 1001 25.00", "shipped 1001", "shipment cancelled 1002");
        await host.StopAsync(cancellationToken);
    }

    [Fact]
    public async Task Stream_readers()
    {
        var builder = DocsHost.CreateBuilder();
        var services = builder.Services;
        // snippet: stream-readers
        services.AddStreamReader<OrderPlaced, SalesReport>("order-history", "sales-report", new StreamReadOptions
        {
            StartPosition = StreamPosition.Beginning,       // where a new reader group starts: Beginning, End, AtOffset(n), AtTime(t)
            ResumeFromCheckpoint = true,                    // a group with a checkpoint resumes after it instead
            CheckpointEvery = 100,                          // checkpoint after 100 messages...
            CheckpointInterval = TimeSpan.FromSeconds(5),   // ...or 5 s, whichever comes first
        });                                                 // other types in the stream are passed over
        // end snippet
        using var host = builder.Build();
        var cancellationToken = TestContext.Current.CancellationToken;
        var stream = host.Services.GetRequiredService<IStream>();
        var codec = host.Services.GetRequiredService<MessageCodec>();

        // Appended before the reader group exists: it starts at the beginning.
        await stream.AppendAsync("order-history", new OrderPlaced("1001", 25m), codec, cancellationToken: cancellationToken);
        await stream.AppendAsync("order-history", new OrderShipped("1001"), codec, cancellationToken: cancellationToken);
        await host.StartAsync(cancellationToken);
        await stream.AppendAsync("order-history", new OrderPlaced("1002", 40m), codec, cancellationToken: cancellationToken);

        await host.Services.GetRequiredService<Journal>().AssertExactlyAsync("sales 1001 25.00", "sales 1002 40.00");
        await host.StopAsync(cancellationToken);
    }

    [Fact]
    public async Task Per_consumer_retry_in_code_and_in_configuration()
    {
        var builder = DocsHost.CreateBuilder();
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "Samples", "consumer-retry.json"));
        var services = builder.Services;
        // snippet: consumer-retry
        services.AddQueueConsumer<ChargeCard, ChargeCardHandler>("payments", new ConsumerOptions
        {
            Retry = new RetryPolicy
            {
                MaxAttempts = 4,                            // the first attempt and 3 retries, then the dead-letter queue
                ImmediateRetries = 1,                       // attempt 2 at once
                InitialDelay = TimeSpan.FromSeconds(2),     // attempt 3 after 2 s, attempt 4 after 4 s
                BackoffMultiplier = 2,
                MaxDelay = TimeSpan.FromMinutes(1),
            },
        });
        // end snippet
        services.AddSubscription<OrderPlaced, SendConfirmationEmail>("orders", "email");
        using var host = builder.Build();
        var cancellationToken = TestContext.Current.CancellationToken;
        await host.StartAsync(cancellationToken);

        var consumers = host.Services.GetRequiredService<IOptions<MessagingOptions>>().Value.Consumers;
        Assert.Equal((10, TimeSpan.FromMinutes(10), 2), (consumers["payments"].Retry!.MaxAttempts, consumers["payments"].Retry!.MaxDelay, consumers["payments"].Retry!.ImmediateRetries));
        Assert.Equal(4, consumers["orders.email"].Count);
        await host.StopAsync(cancellationToken);
    }

    [Fact]
    public async Task Idempotent_consumers()
    {
        var builder = DocsHost.CreateBuilder();
        var services = builder.Services;
        services.AddQueueConsumer<ChargeCard, ChargeCardHandler>("payments");
        // snippet: idempotent-consumer
        // Or in configuration: Messaging:Consumers:payments:Idempotent = true.
        services.Configure<MessagingOptions>(o => o.Consumers["payments"] = new ConsumerSettings { Idempotent = true });
        // end snippet
        using var host = builder.Build();
        var cancellationToken = TestContext.Current.CancellationToken;
        await host.StartAsync(cancellationToken);
        var queue = host.Services.GetRequiredService<IQueue>();
        var charge = host.Services.GetRequiredService<MessageCodec>().Encode(new ChargeCard("1004", 5m));

        await queue.SendAsync("payments", charge, cancellationToken);
        await queue.SendAsync("payments", charge, cancellationToken);   // the same id: a duplicate

        await host.Services.GetRequiredService<Journal>().AssertExactlyAsync("charged 1004 5.00");
        await host.StopAsync(cancellationToken);
    }

    [Fact]
    public async Task Durable_idempotency_from_configuration()
    {
        var directory = Path.Combine(Path.GetTempPath(), "docs-idempotency-" + Guid.NewGuid().ToString("N"));
        var builder = DocsHost.CreateBuilder();
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "Samples", "idempotency.json"));

        // The sample's directory, made one this test may write.
        builder.Configuration.AddInMemoryCollection([new("Messaging:Idempotency:Directory", directory)]);
        builder.Services.AddQueueConsumer<ChargeCard, ChargeCardHandler>("payments");
        try
        {
            using var host = builder.Build();
            var cancellationToken = TestContext.Current.CancellationToken;
            await host.StartAsync(cancellationToken);
            Assert.Equal(Path.GetFullPath(directory), Assert.IsType<DirectoryIdempotencyStore>(host.Services.GetRequiredService<IIdempotencyStore>()).Directory);
            var queue = host.Services.GetRequiredService<IQueue>();
            var charge = host.Services.GetRequiredService<MessageCodec>().Encode(new ChargeCard("1005", 7m));

            await queue.SendAsync("payments", charge, cancellationToken);
            await queue.SendAsync("payments", charge, cancellationToken);   // the same id: a duplicate

            await host.Services.GetRequiredService<Journal>().AssertExactlyAsync("charged 1005 7.00");
            await host.StopAsync(cancellationToken);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Subscription_filters()
    {
        var builder = DocsHost.CreateBuilder();
        var services = builder.Services;
        // snippet: subscription-filters
        services.AddSubscription("orders", "eu-audit", sp => sp.GetRequiredService<AuditLog>().Handle, new SubscriptionOptions
        {
            // Both types (named as [MessageType] names them; a typo does not compile), and only with region = eu.
            Filter = SubscriptionFilter.ForTypes<OrderPlaced, OrderShipped>() with
            {
                Headers = new Dictionary<string, string> { ["region"] = "eu" },
            },
        });
        // end snippet
        using var host = builder.Build();
        var cancellationToken = TestContext.Current.CancellationToken;
        await host.StartAsync(cancellationToken);
        var publisher = host.Services.GetRequiredService<IPublisher>();
        var codec = host.Services.GetRequiredService<MessageCodec>();

        foreach (var (message, region) in new (Envelope, string)[]
        {
            (codec.Encode(new OrderPlaced("1", 1m)), "eu"), (codec.Encode(new OrderPlaced("2", 1m)), "us"),
            (codec.Encode(new OrderShipped("1")), "eu"), (codec.Encode(new OrderCancelled("1")), "eu"),
        })
        {
            await publisher.PublishAsync("orders", message.WithHeader("region", region), cancellationToken);
        }

        await host.Services.GetRequiredService<Journal>().AssertExactlyAsync("audit order.placed eu", "audit order.shipped eu");
        await host.StopAsync(cancellationToken);
    }

    [Fact]
    public async Task Dead_letters_read_and_redriven()
    {
        var builder = DocsHost.CreateBuilder();
        builder.Services.AddQueueConsumer<ChargeCard, ChargeCardHandler>("payments");
        using var host = builder.Build();
        var cancellationToken = TestContext.Current.CancellationToken;
        await host.StartAsync(cancellationToken);
        var codec = host.Services.GetRequiredService<MessageCodec>();
        var journal = host.Services.GetRequiredService<Journal>();
        var failures = new List<string>();
        await host.Services.GetRequiredService<IQueue>().SendAsync("payments", new ChargeCard("1003", 60m, CardExpired: true), codec, cancellationToken: cancellationToken);

        // snippet: dead-letters-read
        var queue = host.Services.GetRequiredService<IQueue>();
        var deadLetters = DestinationNames.DeadLetterQueue("payments");    // "payments.dead-letter"
        var ofASubscription = DestinationNames.DeadLetterQueue(
            DestinationNames.SubscriptionQueue("orders", "email"));         // "orders.email.dead-letter"

        // A dead-letter queue is an ordinary queue; reading it acknowledges (removes) what it reads.
        var reader = await queue.ConsumeAsync(deadLetters, (letter, ct) =>
        {
            var headers = letter.Envelope.Headers;
            failures.Add($"{letter.Envelope.Type} {letter.Envelope.Id} failed in {headers[EnvelopeHeaders.DeadLetterSource]} "
                + $"after {headers[EnvelopeHeaders.DeadLetterAttempts]} attempt(s): {headers[EnvelopeHeaders.DeadLetterReason]}");
            return ValueTask.CompletedTask;
        }, cancellationToken: cancellationToken);
        // end snippet
        Assert.Equal("orders.email.dead-letter", ofASubscription);
        await WaitUntilAsync(() => failures.Count == 1);
        await reader.DisposeAsync();
        Assert.Matches(@"^payment\.charge-card \S+ failed in payments after 1 attempt\(s\): the card of order 1003 has expired$", Assert.Single(failures));

        // The same order again: dead-lettered (nobody reads the dead-letter queue now), then sent back once the card is renewed.
        await queue.SendAsync("payments", new ChargeCard("1003", 60m, CardExpired: true), codec, cancellationToken: cancellationToken);
        await WaitUntilAsync(() => journal.Entries.Count(e => e == "card expired 1003") == 2);
        journal.Add("card renewed 1003");
        var report = new List<string>();
        for (var i = 0; i < 200 && (await host.Services.GetRequiredService<IDeadLetters>().CountAsync(deadLetters, cancellationToken)).Messages == 0; i++)
        {
            await Task.Delay(25, cancellationToken);
        }

        // snippet: dead-letters-operate
        var letters = host.Services.GetRequiredService<IDeadLetters>();
        var count = await letters.CountAsync(deadLetters, cancellationToken);   // Messages; IsApproximate on SQS
        foreach (var letter in await letters.PeekAsync(deadLetters, max: 10, cancellationToken))   // left in the queue
        {
            report.Add($"{letter.Type} {letter.Id} from {letter.Source} after {letter.Attempts} attempt(s): {letter.Reason}");
        }

        // At most 100, only expired cards; every other letter stays in the dead-letter queue as it was.
        var result = await letters.RedriveAsync(deadLetters, new DeadLetterRedriveOptions
        {
            MaxMessages = 100,                              // null (the default): until none is left that the run has not seen
            MessageTypes = ["payment.charge-card"],
            ReasonContains = "expired",                     // or Where = letter => ..., any predicate
        }, cancellationToken);
        report.Add($"{result.RedrivenCount} re-sent ({string.Join(", ", result.Redriven)}), {result.Kept.Count} kept, {result.Ended}");
        // end snippet
        Assert.Equal(1, count.Messages);
        Assert.Equal(2, report.Count);
        Assert.Matches(@"^payment\.charge-card \S+ from payments after 1 attempt\(s\): the card of order 1003 has expired$", report[0]);
        Assert.Matches(@"^1 re-sent \(\S+\), 0 kept, Emptied$", report[1]);

        // snippet: dead-letters-redrive
        // Once the cause is fixed: each dead letter goes back to the queue or subscription it failed in.
        await using var redrive = await DeadLetterRedrive.StartAsync(queue, deadLetters, cancellationToken);
        // end snippet
        await journal.AssertExactlyAsync("card expired 1003", "card expired 1003", "card renewed 1003", "charged 1003 60.00");
        await host.StopAsync(cancellationToken);
    }

    [Fact]
    public async Task Envelope_headers()
    {
        var builder = DocsHost.CreateBuilder();
        var seen = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        builder.Services.AddSubscription("orders", "headers", _ => (message, _) =>
        {
            seen.TrySetResult(message);
            return ValueTask.CompletedTask;
        });
        using var host = builder.Build();
        var cancellationToken = TestContext.Current.CancellationToken;
        await host.StartAsync(cancellationToken);
        var publisher = host.Services.GetRequiredService<IPublisher>();
        var codec = host.Services.GetRequiredService<MessageCodec>();

        // snippet: envelope-headers
        var order = codec.Encode(new OrderPlaced("1002", 40m)) with
        {
            Key = "1002",                                   // ordering and partitioning
            CorrelationId = "checkout-77",                  // ties the messages of one business flow together
        };
        await publisher.PublishAsync("orders", order.WithHeader("region", "eu"), cancellationToken);  // free string headers
        // end snippet

        var received = await seen.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        Assert.Equal(("1002", "checkout-77", "eu", 1), (received.Envelope.Key, received.Envelope.CorrelationId, received.Envelope.Headers["region"], received.Attempt));
        await host.StopAsync(cancellationToken);
    }

    [Fact]
    public async Task Request_and_reply()
    {
        var builder = DocsHost.CreateBuilder();
        var services = builder.Services;
        // snippet: request-reply-responder
        services.AddQueueConsumer("prices", sp =>
        {
            var queue = sp.GetRequiredService<IQueue>();
            var codec = sp.GetRequiredService<MessageCodec>();
            return async (request, cancellationToken) =>
            {
                var ask = codec.Decode<PriceRequest>(request.Envelope);
                // To the request's ReplyTo, with its id as the reply's CorrelationId.
                await queue.ReplyAsync(request, codec.Encode(new PriceQuote(ask.Sku, 9.99m)), cancellationToken);
            };
        });
        // end snippet
        using var host = builder.Build();
        var cancellationToken = TestContext.Current.CancellationToken;
        await host.StartAsync(cancellationToken);
        var transport = host.Services.GetRequiredService<ITransport>();
        var codec = host.Services.GetRequiredService<MessageCodec>();

        // snippet: request-reply-requester
        await using var client = await RequestClient.StartAsync(transport, cancellationToken: cancellationToken);  // its own reply queue
        var reply = await client.RequestAsync("prices", codec.Encode(new PriceRequest("book-1")), TimeSpan.FromSeconds(5), cancellationToken);
        var quote = codec.Decode<PriceQuote>(reply.Envelope);   // RequestTimeoutException if no reply came in time
        // end snippet

        Assert.Equal(new PriceQuote("book-1", 9.99m), quote);
        await host.StopAsync(cancellationToken);
    }

    [Fact]
    public async Task Typed_request_and_response()
    {
        var builder = DocsHost.CreateBuilder();
        var services = builder.Services;
        // snippet: typed-responder
        services.AddResponder<PriceRequest, PriceQuote, PriceList>("prices");
        // end snippet
        using var host = builder.Build();
        var cancellationToken = TestContext.Current.CancellationToken;
        await host.StartAsync(cancellationToken);
        var requests = host.Services.GetRequiredService<IRequestClient>();

        // snippet: typed-request
        // IRequestClient comes from dependency injection; Messaging:RequestTimeout (30 s) unless a timeout is given.
        var quote = await requests.GetResponseAsync<PriceRequest, PriceQuote>("prices", new PriceRequest("book-1"), cancellationToken: cancellationToken);
        // end snippet

        Assert.Equal(new PriceQuote("book-1", 9.99m), quote);
        await host.StopAsync(cancellationToken);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.True(condition());
    }
}

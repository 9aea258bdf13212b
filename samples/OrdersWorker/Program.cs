using Messaging.Adapters;
using OrdersWorker;
using OrdersWorker.Handlers;

var builder = Host.CreateApplicationBuilder(args);
var names = new Names(builder.Configuration["OrdersWorker:NamePrefix"] ?? "");
builder.Services.AddHostedService<Worker>();                     // the application's own work, first, as in the worker template
builder.Services.AddSingleton(names).AddSingleton<Journal>().AddSingleton<Catalog>();
builder.Services.AddMessaging(builder.Configuration);            // Messaging:Transport picks the broker; InMemory by default

// 1. Typed events: one topic carries OrderPlaced and OrderShipped. Tracking handles both, each with its own handler;
//    email only OrderPlaced (the broker keeps OrderShipped away from it where it can filter).
builder.Services.AddSubscription(names.Orders, "tracking", handlers => handlers
    .Handle<OrderPlaced, TrackPlacedOrder>()
    .Handle<OrderShipped, TrackShippedOrder>());
builder.Services.AddSubscription<OrderPlaced, SendConfirmation>(names.Orders, "email");

// 2. A command queue with two competing consumers in this process, one message at a time each.
builder.Services.AddQueueConsumer<ChargeCard, ChargeCardHandler>(names.Payments, new ConsumerOptions { MaxInFlight = 1 }, consumers: 2);

// 3. Retries: three attempts (the second at once, the third 200 ms later), then the dead-letter queue.
builder.Services.AddQueueConsumer<ReserveStock, ReserveStockHandler>(names.Stock, new ConsumerOptions
{
    Retry = new RetryPolicy { MaxAttempts = 3, ImmediateRetries = 1, InitialDelay = TimeSpan.FromMilliseconds(200) },
});

// 4. Request/reply: a typed responder; the worker asks with IRequestClient, which AddMessaging registered.
builder.Services.AddResponder<PriceRequest, PriceQuote, PriceList>(names.Prices);

// 5. The stream replay needs no set-up: the worker appends to a stream and reads it back from the start.

// 6. An idempotent consumer: a message id it has handled is skipped when it comes again. In configuration this is
//    Messaging:Consumers:<queue>:Idempotent = true; here in code, because the queue's name has a prefix.
builder.Services.AddQueueConsumer<IssueInvoice, IssueInvoiceHandler>(names.Invoices);
builder.Services.Configure<MessagingOptions>(o => o.Consumers[names.Invoices] = new ConsumerSettings { Idempotent = true });

await builder.Build().RunAsync();

// The Messaging.Adapters tour: an order workflow told step by step. Run it with
//   dotnet run --project samples/OrderWorkflow
// It exits 0 when everything it expected happened, 1 when something did not, 2 on a configuration error.
//
// Adapters referenced by this project: InMemory, RabbitMq, Kafka and Aws. The transport comes from configuration only
// (Messaging:Transport in appsettings.json, or Messaging__Transport=RabbitMq in the environment), so referencing
// another adapter in OrderWorkflow.csproj is all it takes to run this same program on that broker.
using Messaging.Adapters;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrderWorkflow;
using OrderWorkflow.Services;
using OrderWorkflow.Steps;
using OrderWorkflow.Story;

var names = WorkflowNames.ForNewRun();

// Content root = the output folder, so appsettings.json is found whatever folder `dotnet run` is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
try
{
    builder.Services.AddMessaging(builder.Configuration);
}
catch (MessagingConfigurationException ex)
{
    await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
    return 2;
}

// The library's spans, recorded to print one order's trace. Created before the host so that no span is missed.
using var traces = new TraceRecorder();

// And exported, with the metrics, to an OpenTelemetry collector when OTEL_EXPORTER_OTLP_ENDPOINT is set.
if (OtlpExport.AddWhenConfigured(builder.Services, builder.Configuration))
{
    Console.WriteLine($"telemetry: exporting traces and metrics over OTLP to {builder.Configuration[OtlpExport.EndpointSetting]}");
}
builder.Services
    .AddSingleton(names)
    .AddSingleton(traces)
    .AddSingleton<Narrator>()
    .AddSingleton<Milestones>()
    .AddSingleton<Checklist>()
    .AddSingleton<OrderEvents>()
    .AddSingleton<Shop>()
    .AddSingleton<InventoryService>()
    .AddSingleton<PaymentService>()
    .AddSingleton<ShippingService>()
    .AddSingleton<EmailService>()
    .AddSingleton<OrderOrchestrator>();

// The services' consumers: started with the host, stopped gracefully with it. Each subscription keeps only the
// message types its service handles (SubscriptionFilter), on the broker where the transport can.
builder.Services
    .AddSubscription(names.OrdersTopic, WorkflowNames.Inventory, sp => sp.GetRequiredService<InventoryService>().CreateOrderPlacedHandler(), Only(OrderPlaced.TypeName))
    .AddSubscription(names.OrdersTopic, WorkflowNames.Payment, sp => sp.GetRequiredService<PaymentService>().CreateOrderPlacedHandler(), Only(OrderPlaced.TypeName))
    .AddSubscription(names.OrdersTopic, WorkflowNames.Shipping, sp => sp.GetRequiredService<ShippingService>().CreateReservationHandler(), Only(InventoryReserved.TypeName))
    .AddSubscription(names.PaymentsTopic, WorkflowNames.Shipping, sp => sp.GetRequiredService<ShippingService>().CreatePaymentHandler(), Only(PaymentSucceeded.TypeName))
    .AddSubscription(names.OrdersTopic, WorkflowNames.Email, sp => sp.GetRequiredService<EmailService>().CreateHandler(), Only([.. EmailService.HandledTypes]))
    .AddQueueConsumer(names.InventoryRequestsQueue, sp => sp.GetRequiredService<InventoryService>().CreateRequestHandler())
    .AddQueueConsumer(names.PaymentRequestsQueue, sp => sp.GetRequiredService<PaymentService>().CreateRequestHandler());

// The story, in the order it is told.
builder.Services
    .AddSingleton<IWorkflowStep, ChoreographyStep>()
    .AddSingleton<IWorkflowStep, CompetingConsumersStep>()
    .AddSingleton<IWorkflowStep, OrchestratedSagaStep>()
    .AddSingleton<IWorkflowStep, StreamReplayStep>()
    .AddSingleton<IWorkflowStep, DuplicateDeliveryStep>()
    .AddSingleton<IWorkflowStep, DeadLetterStep>()
    .AddSingleton<WorkflowRun>();

var host = builder.Build();
try
{
    try
    {
        await host.StartAsync().ConfigureAwait(false);
    }
    catch (OptionsValidationException ex)
    {
        // An invalid option (Messaging:Retry:MaxAttempts = 0, a bad Messaging:RabbitMq:Uri, ...) names its key here.
        await Console.Error.WriteLineAsync(string.Join(Environment.NewLine, ex.Failures)).ConfigureAwait(false);
        return 2;
    }

    var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
    var passed = await host.Services.GetRequiredService<WorkflowRun>().RunAsync(stopping).ConfigureAwait(false);
    await host.StopAsync().ConfigureAwait(false);

    // Unique names already keep reruns apart; deleting what this run created keeps a durable broker tidy too.
    var transport = host.Services.GetRequiredService<ITransport>();
    var created = names.AllDestinations(transport.Capabilities.Streams);
    foreach (var destination in created)
    {
        await transport.Topology.DeleteAsync(destination).ConfigureAwait(false);
    }

    Console.WriteLine($"cleanup: deleted the {created.Count} topics, subscriptions, queues and streams of run {names.RunId}");
    Console.WriteLine(passed ? "exit code 0: every expected step happened" : "exit code 1: some expected steps did not happen (see FAILED above)");
    return passed ? 0 : 1;
}
finally
{
    // Disposed asynchronously, so the transport's consumers finish before the process ends.
    if (host is IAsyncDisposable asyncHost)
    {
        await asyncHost.DisposeAsync().ConfigureAwait(false);
    }
    else
    {
        host.Dispose();
    }
}

static SubscriptionOptions Only(params string[] messageTypes) => new() { Filter = SubscriptionFilter.ForTypes(messageTypes) };

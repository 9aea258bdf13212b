using Messaging.Adapters;

namespace OrderWorkflow.Story;

/// <summary>
/// The topics, queues and stream of one run. Every name ends in the run's id, so a second run on a durable broker
/// (RabbitMQ, Kafka, SQS) never sees what an earlier or crashed run left behind; a finished run also deletes
/// what it created (see <see cref="AllDestinations"/>).
/// </summary>
internal sealed record WorkflowNames(string RunId)
{
    public const string Inventory = "inventory";
    public const string Payment = "payment";
    public const string Shipping = "shipping";
    public const string Email = "email";

    public static WorkflowNames ForNewRun() => new(Guid.NewGuid().ToString("N")[..8]);

    /// <summary>order.placed, inventory.reserved, order.shipped, order.cancelled.</summary>
    public string OrdersTopic => $"orders-{RunId}";

    /// <summary>payment.succeeded.</summary>
    public string PaymentsTopic => $"payments-{RunId}";

    /// <summary>Settlement jobs, shared by competing payment workers.</summary>
    public string PaymentJobsQueue => $"payment-jobs-{RunId}";

    /// <summary>Requests from the saga orchestrator to the inventory service.</summary>
    public string InventoryRequestsQueue => $"inventory-requests-{RunId}";

    /// <summary>Requests from the saga orchestrator to the payment service.</summary>
    public string PaymentRequestsQueue => $"payment-requests-{RunId}";

    /// <summary>The start of the saga's private reply queue (RequestClient adds a random part and deletes it).</summary>
    public string ReplyQueuePrefix => $"replies-{RunId}";

    /// <summary>Every order event, in order, for replay.</summary>
    public string OrderEventsStream => $"order-events-{RunId}";

    /// <summary>Everything this run creates, subscriptions before their topics.</summary>
    public IReadOnlyList<Destination> AllDestinations(bool streams) =>
    [
        Destination.ForSubscription(OrdersTopic, Inventory),
        Destination.ForSubscription(OrdersTopic, Payment),
        Destination.ForSubscription(OrdersTopic, Shipping),
        Destination.ForSubscription(OrdersTopic, Email),
        Destination.ForSubscription(PaymentsTopic, Shipping),
        Destination.Topic(OrdersTopic),
        Destination.Topic(PaymentsTopic),
        Destination.Queue(PaymentJobsQueue),
        Destination.Queue(InventoryRequestsQueue),
        Destination.Queue(PaymentRequestsQueue),
        .. streams ? new[] { Destination.Stream(OrderEventsStream) } : [],
    ];
}

namespace OrdersWorker;

/// <summary>
/// The service's topic, queues and stream. <c>OrdersWorker:NamePrefix</c> goes before each, so that two runs sharing a
/// broker (the tests, or two developers) never see each other's messages.
/// </summary>
public sealed record Names(string Prefix)
{
    /// <summary>OrderPlaced and OrderShipped.</summary>
    public string Orders => Prefix + "orders";

    /// <summary>ChargeCard commands, shared by two competing consumers.</summary>
    public string Payments => Prefix + "payments";

    /// <summary>ReserveStock commands, retried and dead-lettered.</summary>
    public string Stock => Prefix + "stock";

    /// <summary>Price requests.</summary>
    public string Prices => Prefix + "prices";

    /// <summary>IssueInvoice commands, handled once per message id.</summary>
    public string Invoices => Prefix + "invoices";

    /// <summary>Every order placed, kept for replay.</summary>
    public string OrderHistory => Prefix + "order-history";
}

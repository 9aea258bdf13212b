using Messaging.Adapters;
using OrderWorkflow.Story;

namespace OrderWorkflow.Services;

/// <summary>
/// Keeps stock and reservations. Reacts to <c>order.placed</c> (choreography) and answers reserve/release
/// requests from the saga orchestrator (request/reply).
/// </summary>
internal sealed class InventoryService(
    MessageCodec codec,
    IIdempotencyStore inbox,
    IQueue queue,
    OrderEvents events,
    WorkflowNames names,
    Narrator narrator,
    Milestones milestones)
{
    private const string Who = WorkflowNames.Inventory;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _stock = new(StringComparer.Ordinal) { ["SKU-1"] = 10, ["SKU-2"] = 5, ["SKU-3"] = 3 };
    private readonly Dictionary<string, IReadOnlyList<OrderLine>> _reservations = new(StringComparer.Ordinal);

    public int InStock(string sku)
    {
        lock (_gate)
        {
            return _stock.GetValueOrDefault(sku);
        }
    }

    public bool HasReservation(string orderId)
    {
        lock (_gate)
        {
            return _reservations.ContainsKey(orderId);
        }
    }

    /// <summary>The handler of the inventory subscription of the orders topic.</summary>
    public MessageHandler CreateOrderPlacedHandler() =>
        Inbox.Protect(codec.Handler<OrderPlaced>(OnOrderPlacedAsync), inbox, Who, narrator, milestones);

    /// <summary>The handler of the inventory request queue: answers reserve and release requests.</summary>
    public MessageHandler CreateRequestHandler() => async (request, cancellationToken) =>
    {
        var reply = request.Envelope.Type switch
        {
            ReserveInventory.TypeName => Answer(codec.Decode<ReserveInventory>(request.Envelope)),
            ReleaseInventory.TypeName => Answer(codec.Decode<ReleaseInventory>(request.Envelope)),
            var other => throw new DeadLetterException($"The inventory service does not handle '{other}' requests."),
        };
        await queue.ReplyAsync(request, reply, cancellationToken).ConfigureAwait(false);
    };

    private async ValueTask OnOrderPlacedAsync(OrderPlaced order, ReceivedMessage message, CancellationToken cancellationToken)
    {
        if (!TryReserve(order.OrderId, order.Lines, out var problem))
        {
            // Retrying will not make stock appear: dead-letter with the reason for a person to look at.
            throw new DeadLetterException($"Order {order.OrderId} cannot be reserved: {problem}.");
        }

        narrator.Say(Who, $"reserved {Describe.Lines(order.Lines)} for order {order.OrderId} ({StockOf(order.Lines)})");
        milestones.Mark($"reserved:{order.OrderId}");
        await events.PublishAsync(names.OrdersTopic, new InventoryReserved(order.OrderId, order.Lines), order.OrderId, message.Envelope, cancellationToken).ConfigureAwait(false);
    }

    private Envelope Answer(ReserveInventory request)
    {
        if (!TryReserve(request.OrderId, request.Lines, out var problem))
        {
            narrator.Say(Who, $"cannot reserve {Describe.Lines(request.Lines)} for order {request.OrderId}: {problem}");
            return codec.Encode(new InventoryReservation(request.OrderId, Reserved: false, problem));
        }

        narrator.Say(Who, $"reserved {Describe.Lines(request.Lines)} for order {request.OrderId} ({StockOf(request.Lines)})");
        milestones.Mark($"reserved:{request.OrderId}");
        return codec.Encode(new InventoryReservation(request.OrderId, Reserved: true, Reason: null));
    }

    private Envelope Answer(ReleaseInventory request)
    {
        IReadOnlyList<OrderLine> released;
        lock (_gate)
        {
            // Releasing what is not reserved (again) does nothing: a repeated request is harmless.
            if (!_reservations.Remove(request.OrderId, out var lines))
            {
                lines = [];
            }

            foreach (var line in lines)
            {
                _stock[line.Sku] += line.Quantity;
            }

            released = lines;
        }

        narrator.Say(Who, released.Count == 0
            ? $"nothing reserved for order {request.OrderId}; nothing to release"
            : $"released {Describe.Lines(released)} for order {request.OrderId} ({StockOf(released)})");
        milestones.Mark($"released:{request.OrderId}");
        return codec.Encode(new InventoryReleased(request.OrderId, released));
    }

    private bool TryReserve(string orderId, IReadOnlyList<OrderLine> lines, out string? problem)
    {
        lock (_gate)
        {
            // A reservation is kept per order, so a repeated request reserves nothing twice.
            if (_reservations.ContainsKey(orderId))
            {
                problem = null;
                return true;
            }

            var missing = lines.FirstOrDefault(l => _stock.GetValueOrDefault(l.Sku) < l.Quantity);
            if (missing is not null)
            {
                problem = $"only {_stock.GetValueOrDefault(missing.Sku)} of {missing.Sku} in stock, {missing.Quantity} wanted";
                return false;
            }

            foreach (var line in lines)
            {
                _stock[line.Sku] -= line.Quantity;
            }

            _reservations[orderId] = lines;
            problem = null;
            return true;
        }
    }

    private string StockOf(IEnumerable<OrderLine> lines)
    {
        lock (_gate)
        {
            return string.Join(", ", lines.Select(l => $"{l.Sku}: {_stock[l.Sku]} left"));
        }
    }
}

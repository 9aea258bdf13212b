using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Adapters.Docs.Samples;

// The messages and handlers the README samples name. Each handler writes what it did to the Journal, which the tests read.

[MessageType("order.placed")]
public sealed record OrderPlaced(string OrderId, decimal Total);

[MessageType("order.shipped")]
public sealed record OrderShipped(string OrderId);

[MessageType("order.cancelled")]
public sealed record OrderCancelled(string OrderId);

[MessageType("payment.charge-card")]
public sealed record ChargeCard(string OrderId, decimal Amount, bool CardExpired = false);

[MessageType("shipping.ship-order")]
public sealed record ShipOrder(string OrderId);

[MessageType("shipping.cancel-shipment")]
public sealed record CancelShipment(string OrderId);

[MessageType("pricing.price-request")]
public sealed record PriceRequest(string Sku);

[MessageType("pricing.price-quote")]
public sealed record PriceQuote(string Sku, decimal Price);

/// <summary>What the sample handlers did, in order; a test waits for what it expects.</summary>
public sealed class Journal
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public void Add(string entry)
    {
        _entries.Enqueue(entry);
    }

    /// <summary>Waits until the journal holds every expected entry (in any order), then checks it holds nothing else.</summary>
    public async Task AssertExactlyAsync(params string[] expected)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (expected.Except(_entries).Any())
        {
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Still missing {string.Join(", ", expected.Except(_entries))}; the journal has {string.Join(", ", _entries)}.");
            }
        }

        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Equal(expected.Order(StringComparer.Ordinal), _entries.Order(StringComparer.Ordinal));
    }
}

public sealed class SendConfirmationEmail(Journal journal) : IMessageHandler<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced message, ReceivedMessage context, CancellationToken cancellationToken)
    {
        journal.Add($"email {message.OrderId}");
        return ValueTask.CompletedTask;
    }
}

public sealed class StartTracking(Journal journal) : IMessageHandler<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced message, ReceivedMessage context, CancellationToken cancellationToken)
    {
        journal.Add($"tracking started {message.OrderId}");
        return ValueTask.CompletedTask;
    }
}

public sealed class UpdateTracking(Journal journal) : IMessageHandler<OrderShipped>
{
    public ValueTask HandleAsync(OrderShipped message, ReceivedMessage context, CancellationToken cancellationToken)
    {
        journal.Add($"tracking shipped {message.OrderId}");
        return ValueTask.CompletedTask;
    }
}

public sealed class SalesReport(Journal journal) : IMessageHandler<OrderPlaced>
{
    public ValueTask HandleAsync(OrderPlaced message, ReceivedMessage context, CancellationToken cancellationToken)
    {
        journal.Add($"sales {message.OrderId} {message.Total:0.00}");
        return ValueTask.CompletedTask;
    }
}

/// <summary>Charges, or dead-letters an expired card at once (no retry can fix it).</summary>
public sealed class ChargeCardHandler(Journal journal) : IMessageHandler<ChargeCard>
{
    public ValueTask HandleAsync(ChargeCard message, ReceivedMessage context, CancellationToken cancellationToken)
    {
        if (message.CardExpired && !journal.Entries.Contains($"card renewed {message.OrderId}"))
        {
            journal.Add($"card expired {message.OrderId}");
            throw new DeadLetterException($"the card of order {message.OrderId} has expired");
        }

        journal.Add($"charged {message.OrderId} {message.Amount:0.00}");
        return ValueTask.CompletedTask;
    }
}

public sealed class ShipOrderHandler(Journal journal) : IMessageHandler<ShipOrder>
{
    public ValueTask HandleAsync(ShipOrder message, ReceivedMessage context, CancellationToken cancellationToken)
    {
        journal.Add($"shipped {message.OrderId}");
        return ValueTask.CompletedTask;
    }
}

public sealed class CancelShipmentHandler(Journal journal) : IMessageHandler<CancelShipment>
{
    public ValueTask HandleAsync(CancelShipment message, ReceivedMessage context, CancellationToken cancellationToken)
    {
        journal.Add($"shipment cancelled {message.OrderId}");
        return ValueTask.CompletedTask;
    }
}

// snippet: price-list
public sealed class PriceList : IRequestHandler<PriceRequest, PriceQuote>
{
    public ValueTask<PriceQuote> HandleAsync(PriceRequest request, ReceivedMessage context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new PriceQuote(request.Sku, 9.99m));
}
// end snippet

/// <summary>An untyped handler: it sees every message its subscription keeps, whatever the type.</summary>
public sealed class AuditLog(Journal journal)
{
    public ValueTask Handle(ReceivedMessage message, CancellationToken cancellationToken)
    {
        journal.Add($"audit {message.Envelope.Type} {message.Envelope.Headers.GetValueOrDefault("region")}");
        return ValueTask.CompletedTask;
    }
}

/// <summary>A generic host on the in-memory transport with a <see cref="Journal"/>, as the samples run.</summary>
public static class DocsHost
{
    public static HostApplicationBuilder CreateBuilder(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings.Prepend(("Messaging:Transport", "InMemory")).Select(s => new KeyValuePair<string, string?>(s.Item1, s.Item2)));
        builder.Services.AddMessaging(builder.Configuration);
        builder.Services.AddSingleton<Journal>();
        builder.Services.AddSingleton<AuditLog>();
        return builder;
    }
}

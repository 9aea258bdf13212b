using System.Text.Json.Serialization;

namespace Messaging.Adapters.Tests;

/// <summary>A message with a stable wire name given by <see cref="MessageTypeAttribute"/>.</summary>
[MessageType("order.placed")]
public sealed record OrderPlaced(string OrderId, decimal Amount, IReadOnlyList<string> Lines, DateTimeOffset PlacedAt);

/// <summary>A message without <see cref="MessageTypeAttribute"/>: its wire name is its full CLR name.</summary>
public sealed record InvoiceIssued(string InvoiceId, int Cents);

/// <summary>A message known to <see cref="TestMessagesJsonContext"/>, for source-generated serialization.</summary>
[MessageType("shipment.sent")]
public sealed record ShipmentSent(string ShipmentId, int ParcelCount);

/// <summary>A second class claiming the wire name <c>order.placed</c>, to provoke a type-map conflict.</summary>
[MessageType("order.placed")]
public sealed record OrderPlacedImpostor(string OrderId);

/// <summary>
/// A source-generated JSON context that knows only <see cref="ShipmentSent"/>. Its snake_case naming differs from
/// the reflection serializer's camelCase, so a test can see which of the two produced a body.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ShipmentSent))]
internal sealed partial class TestMessagesJsonContext : JsonSerializerContext;

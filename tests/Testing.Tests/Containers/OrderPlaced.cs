namespace Messaging.Adapters.Testing.Tests.Containers;

[MessageType("testing.order-placed")]
public sealed record OrderPlaced(string OrderId);

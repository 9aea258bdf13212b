namespace Messaging.Adapters;

/// <summary>
/// Gives a message class its stable type name on the wire, for example <c>order.placed</c>, independent of its
/// CLR namespace and name (which can then be refactored freely).
/// </summary>
/// <param name="name">The type name.</param>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class MessageTypeAttribute(string name) : Attribute
{
    /// <summary>The type name on the wire.</summary>
    public string Name { get; } = name;
}

using System.Collections.Concurrent;
using System.Reflection;

namespace Messaging.Adapters;

/// <summary>
/// Maps message classes to their stable type names and back.
/// </summary>
/// <remarks>A class's name is, in order: the one given to <see cref="Map"/>, its <see cref="MessageTypeAttribute"/>,
/// or its full CLR name. Thread safe.</remarks>
public sealed class MessageTypeMap
{
    private readonly ConcurrentDictionary<Type, string> _names = new();
    private readonly ConcurrentDictionary<string, Type> _types = new(StringComparer.Ordinal);

    /// <summary>Maps a class to a type name.</summary>
    /// <typeparam name="T">The message class.</typeparam>
    /// <param name="name">Its type name.</param>
    /// <returns>This map, for chaining.</returns>
    public MessageTypeMap Map<T>(string name) => Map(typeof(T), name);

    /// <summary>Maps a class to a type name.</summary>
    /// <param name="type">The message class.</param>
    /// <param name="name">Its type name.</param>
    /// <returns>This map, for chaining.</returns>
    /// <exception cref="ArgumentException">The name is already mapped to another class.</exception>
    public MessageTypeMap Map(Type type, string name)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var existing = _types.GetOrAdd(name, type);
        if (existing != type)
        {
            throw new ArgumentException($"Message type name '{name}' is already mapped to {existing.FullName}; it cannot also name {type.FullName}.", nameof(name));
        }

        _names[type] = name;
        return this;
    }

    /// <summary>The type name of a message class.</summary>
    /// <param name="type">The message class.</param>
    /// <returns>Its type name.</returns>
    public string GetName(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (_names.TryGetValue(type, out var name))
        {
            return name;
        }

        name = DefaultName(type);
        Map(type, name);
        return name;
    }

    /// <summary>The name a class has when no map gives it another: its <see cref="MessageTypeAttribute"/>, else its
    /// full CLR name.</summary>
    internal static string DefaultName(Type type) =>
        type.GetCustomAttribute<MessageTypeAttribute>()?.Name ?? type.FullName ?? type.Name;

    /// <summary>The message class of a type name, if known (mapped, or seen through <see cref="GetName"/>).</summary>
    /// <param name="name">The type name.</param>
    /// <returns>The class, or <see langword="null"/>.</returns>
    public Type? FindType(string name) => _types.TryGetValue(name, out var type) ? type : null;
}

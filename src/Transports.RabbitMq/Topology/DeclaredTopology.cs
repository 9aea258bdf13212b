using System.Collections.Concurrent;

namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// What this process declared, so that each entity costs one round trip per process, and so that deleting a
/// destination can also remove what was made for it.
/// </summary>
/// <remarks>Keys are <c>&lt;kind&gt;:&lt;name&gt;</c>, for example <c>queue:orders</c> or <c>dead-letter:orders</c>.</remarks>
internal sealed class DeclaredTopology
{
    private readonly ConcurrentDictionary<string, byte> _declared = new(StringComparer.Ordinal);

    /// <summary>The bindings this process made from each subscription queue to its topic, by <see cref="BindingFilter.Key"/>.</summary>
    public ConcurrentDictionary<string, Dictionary<string, Dictionary<string, object?>>> Bindings { get; } = new(StringComparer.Ordinal);

    /// <summary>The reader groups this process used, by stream.</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> ReaderGroups { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the entity under <paramref name="key"/> was declared.</summary>
    public bool Contains(string key) => _declared.ContainsKey(key);

    /// <summary>Notes that the entity under <paramref name="key"/> was declared.</summary>
    public void Remember(string key) => _declared[key] = 0;

    /// <summary>Forgets entities, so that they are declared again on next use.</summary>
    public void Forget(params string[] keys)
    {
        foreach (var key in keys)
        {
            _declared.TryRemove(key, out _);
        }
    }

    /// <summary>The names under the keys that start with <paramref name="kindPrefix"/> (such as <c>dead-letter:</c>).</summary>
    public IEnumerable<string> Named(string kindPrefix) =>
        _declared.Keys.Where(k => k.StartsWith(kindPrefix, StringComparison.Ordinal)).Select(k => k[kindPrefix.Length..]);
}

using System.Collections.Concurrent;

namespace Messaging.Adapters.Transport;

/// <summary>
/// The parts of a transport (endpoints, clients) that cannot reach their broker now, each with why: the state an
/// adapter's <see cref="ITransportHealth"/> keeps from what its clients report anyway, and the health it describes.
/// </summary>
/// <remarks>Thread safe: clients report from their own threads while a health check reads.</remarks>
public sealed class UnreachableParts
{
    private readonly ConcurrentDictionary<string, string> _parts = new(StringComparer.Ordinal);

    /// <summary>Whether a part is marked unreachable now.</summary>
    /// <param name="part">The part, as it was marked.</param>
    /// <returns><see langword="true"/> when it is marked.</returns>
    public bool Contains(string part) => _parts.ContainsKey(part);

    /// <summary>Marks a part unreachable, or updates why.</summary>
    /// <param name="part">The part, named as the health's description shows it (for example <c>SQS at https://...</c>).</param>
    /// <param name="reason">Why it cannot reach its broker.</param>
    public void Mark(string part, string reason) => _parts[part] = reason;

    /// <summary>Marks a part reachable again (or gone); nothing happens when it was not marked.</summary>
    /// <param name="part">The part.</param>
    public void Clear(string part) => _parts.TryRemove(part, out _);

    /// <summary>The transport's health: reachable while no part is marked, else unreachable, listing every marked part
    /// and why, in a stable order.</summary>
    /// <param name="whenReachable">The description while every part reaches its broker.</param>
    /// <param name="unreachablePrefix">The start of the description otherwise, followed by <c>part: reason</c> pairs.</param>
    /// <returns>The health.</returns>
    public TransportHealth Describe(string whenReachable, string unreachablePrefix)
    {
        if (_parts.IsEmpty)
        {
            return new TransportHealth(true, whenReachable);
        }

        var parts = string.Join("; ", _parts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}"));
        return new TransportHealth(false, $"{unreachablePrefix}{parts}.");
    }
}

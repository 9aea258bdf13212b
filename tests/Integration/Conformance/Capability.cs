using System.Reflection;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// The only way a scenario skips: on a capability the transport declares off (or on, for scenarios that check a
/// refusal), or a limit it does not have (for scenarios that check the limit's refusal). Every skip reason starts
/// with the capability's name, as in <see cref="TransportCapabilities"/>, so a skip can always be traced to a
/// declared capability, never to a missing broker.
/// </summary>
public static class Capability
{
    /// <summary>Skips the test unless the transport declares <paramref name="capability"/>.</summary>
    /// <param name="fixture">The fixture.</param>
    /// <param name="capability">A boolean property of <see cref="TransportCapabilities"/>, given with <c>nameof</c>.</param>
    public static void Require(TransportFixture fixture, string capability)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        if (ReasonToSkip(fixture.Capabilities, fixture.TransportLabel, capability) is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    /// <summary>Skips the test when the transport declares <paramref name="capability"/>: for scenarios that check
    /// how a transport refuses what it does not offer.</summary>
    /// <param name="fixture">The fixture.</param>
    /// <param name="capability">A boolean property of <see cref="TransportCapabilities"/>, given with <c>nameof</c>.</param>
    public static void RequireMissing(TransportFixture fixture, string capability)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        if (ReasonToSkipWhenDeclared(fixture.Capabilities, fixture.TransportLabel, capability) is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    /// <summary>Skips the test when the transport has no <paramref name="limit"/>: for scenarios that check how a
    /// transport refuses what goes over one of its limits.</summary>
    /// <param name="fixture">The fixture.</param>
    /// <param name="limit">A nullable limit of <see cref="TransportCapabilities"/> (<see langword="null"/> means none),
    /// given with <c>nameof</c>.</param>
    public static void RequireLimit(TransportFixture fixture, string limit)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        if (ReasonToSkipWithoutLimit(fixture.Capabilities, fixture.TransportLabel, limit) is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    /// <summary>Why a scenario that checks the refusal of what goes over <paramref name="limit"/> is skipped, or <see langword="null"/> when it runs.</summary>
    /// <param name="capabilities">The transport's capabilities.</param>
    /// <param name="transport">The transport's name, for the reason.</param>
    /// <param name="limit">A nullable limit of <see cref="TransportCapabilities"/>.</param>
    /// <returns>The reason, starting with the limit's name; <see langword="null"/> when the transport has the limit.</returns>
    /// <exception cref="ArgumentException"><paramref name="limit"/> is not a nullable limit.</exception>
    public static string? ReasonToSkipWithoutLimit(TransportCapabilities capabilities, string transport, string limit)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var property = typeof(TransportCapabilities).GetProperty(limit, BindingFlags.Public | BindingFlags.Instance);
        if (property is null || !LimitNames.Contains(limit))
        {
            throw new ArgumentException($"'{limit}' is not a nullable limit of {nameof(TransportCapabilities)}; use one of {string.Join(", ", LimitNames)}.", nameof(limit));
        }

        return property.GetValue(capabilities) is null ? SkipReason(limit, $"the {transport} transport has no such limit, so there is no refusal to check") : null;
    }

    /// <summary>Why a scenario that needs <paramref name="capability"/> is skipped, or <see langword="null"/> when it runs.</summary>
    /// <param name="capabilities">The transport's capabilities.</param>
    /// <param name="transport">The transport's name, for the reason.</param>
    /// <param name="capability">A boolean property of <see cref="TransportCapabilities"/>.</param>
    /// <returns>The reason, starting with the capability's name; <see langword="null"/> when the capability is declared.</returns>
    /// <exception cref="ArgumentException"><paramref name="capability"/> is not a boolean capability.</exception>
    public static string? ReasonToSkip(TransportCapabilities capabilities, string transport, string capability) =>
        IsDeclared(capabilities, capability) ? null : SkipReason(capability, $"the {transport} transport does not offer it");

    /// <summary>Why a scenario that checks the refusal of <paramref name="capability"/> is skipped, or <see langword="null"/> when it runs.</summary>
    /// <param name="capabilities">The transport's capabilities.</param>
    /// <param name="transport">The transport's name, for the reason.</param>
    /// <param name="capability">A boolean property of <see cref="TransportCapabilities"/>.</param>
    /// <returns>The reason, starting with the capability's name; <see langword="null"/> when the capability is off.</returns>
    /// <exception cref="ArgumentException"><paramref name="capability"/> is not a boolean capability.</exception>
    public static string? ReasonToSkipWhenDeclared(TransportCapabilities capabilities, string transport, string capability) =>
        IsDeclared(capabilities, capability) ? SkipReason(capability, $"the {transport} transport offers it, so there is no refusal to check") : null;

    /// <summary>The skip reason for a capability: its name, a colon, and why.</summary>
    /// <param name="capability">The capability's name.</param>
    /// <param name="why">Why the scenario does not apply.</param>
    /// <returns>The reason.</returns>
    public static string SkipReason(string capability, string why) => $"{capability}: {why}";

    /// <summary>The names of the boolean capabilities a scenario can require.</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(TransportCapabilities)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.PropertyType == typeof(bool))
        .Select(p => p.Name)
        .ToList();

    /// <summary>The names of the nullable limits a scenario can require.</summary>
    public static IReadOnlyList<string> LimitNames { get; } = typeof(TransportCapabilities)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => Nullable.GetUnderlyingType(p.PropertyType) is not null)
        .Select(p => p.Name)
        .ToList();

    private static bool IsDeclared(TransportCapabilities capabilities, string capability)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var property = typeof(TransportCapabilities).GetProperty(capability, BindingFlags.Public | BindingFlags.Instance);
        if (property is null || property.PropertyType != typeof(bool))
        {
            throw new ArgumentException($"'{capability}' is not a boolean property of {nameof(TransportCapabilities)}; use one of {string.Join(", ", Names)}.", nameof(capability));
        }

        return (bool)property.GetValue(capabilities)!;
    }
}

namespace Messaging.Adapters;

/// <summary>
/// Chooses the transport <c>Messaging:Transport</c> names, and explains a name that chooses none.
/// </summary>
internal static class TransportSelection
{
    private const string Key = MessagingOptions.SectionName + ":" + nameof(MessagingOptions.Transport);

    /// <summary>The registration for <paramref name="requested"/>: one added in code first, so that an application can
    /// replace an installed adapter or settle between two that offer the same name; otherwise a discovered one.</summary>
    /// <param name="requested">The trimmed value of <c>Messaging:Transport</c>.</param>
    /// <param name="added">The registrations added with <c>AddMessagingTransport</c> (unique by name).</param>
    /// <param name="discover">Discovery, called only when no added registration matches; <see langword="null"/> when off.</param>
    public static ITransportRegistration Select(string requested, IReadOnlyList<ITransportRegistration> added, Func<DiscoveredTransports>? discover)
    {
        if (added.FirstOrDefault(r => r.IsNamed(requested)) is { } chosen)
        {
            return chosen;
        }

        var discovered = discover?.Invoke();
        var matches = discovered?.Named(requested) ?? [];
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw NotAvailable(requested, added, discovered),
            _ => throw new MessagingConfigurationException(
                Key,
                $"{Key} is '{requested}', which more than one installed adapter offers: {TransportDiscovery.Describe(matches)}. " +
                "Add the one to use with services.AddMessagingTransport<TRegistration>() before AddMessaging."),
        };
    }

    /// <summary>The transport when <c>Messaging:Transport</c> is not set: the only one available (added in code or
    /// installed), as Spring Cloud Stream takes the one binder on the class path; with none or several, an error that
    /// says which to install or lists them, never a silent choice.</summary>
    /// <param name="added">The registrations added with <c>AddMessagingTransport</c>.</param>
    /// <param name="discovered">The installed adapters; <see langword="null"/> when discovery is off.</param>
    /// <returns>The registration.</returns>
    public static ITransportRegistration SelectUnnamed(IReadOnlyList<ITransportRegistration> added, DiscoveredTransports? discovered)
    {
        var available = added
            .Concat((discovered?.Registrations ?? []).Where(found => !added.Any(a => a.IsNamed(found.Name))))
            .GroupBy(r => r.Name, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.First())
            .ToList();
        return available.Count switch
        {
            1 => available[0],
            0 => throw new MessagingConfigurationException(
                Key,
                $"{Key} is not set and no transport is available: install an adapter package ({string.Join(", ", TransportCatalog.Names.Select(TransportCatalog.PackageOf))}) " +
                "or add a transport with services.AddMessagingTransport<TRegistration>(), then set " + Key + " to it."),
            _ => throw new MessagingConfigurationException(
                Key,
                $"{Key} is not set, and several transports are available: {string.Join(", ", NamesOf(available))}. Set {Key} to the one to use " +
                "(nothing is chosen for you: the in-memory transport keeps nothing across a restart)."),
        };
    }

    public static bool IsNamed(this ITransportRegistration registration, string name) =>
        string.Equals(registration.Name, name, StringComparison.OrdinalIgnoreCase);

    public static IReadOnlyList<string> NamesOf(IEnumerable<ITransportRegistration> registrations) =>
        registrations.Select(r => r.Name).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>The closest of <paramref name="candidates"/> to a mistyped name, if one is close enough to be a typo or
    /// an abbreviation; <see langword="null"/> otherwise.</summary>
    internal static string? Nearest(string requested, IEnumerable<string> candidates) =>
        candidates
            .Select(candidate => (Candidate: candidate, Distance: EditDistance(requested.ToUpperInvariant(), candidate.ToUpperInvariant())))
            .Where(c => c.Distance <= Math.Max(1, c.Candidate.Length / 3) || SharesPrefix(requested, c.Candidate))
            .OrderBy(c => c.Distance)
            .Select(c => c.Candidate)
            .FirstOrDefault();

    private static MessagingConfigurationException NotAvailable(string requested, IReadOnlyList<ITransportRegistration> added, DiscoveredTransports? discovered)
    {
        var available = NamesOf(added.Concat(discovered?.Registrations ?? []));
        var list = available.Count == 0 ? "none" : string.Join(", ", available);
        var ours = TransportCatalog.Names.FirstOrDefault(name => string.Equals(name, requested, StringComparison.OrdinalIgnoreCase));
        string message;
        if (ours is not null && discovered is not null)
        {
            message = $"{Key} is '{ours}', but its adapter package {TransportCatalog.PackageOf(ours)} is not installed. " +
                $"Install it, or set {Key} to an available transport: {list}.";
        }
        else if (ours is not null)
        {
            message = $"{Key} is '{ours}', but it was not added with AddMessagingTransport, and AddMessagingWithoutDiscovery " +
                $"looks no further. Add the registration from its adapter package {TransportCatalog.PackageOf(ours)}, " +
                $"or set {Key} to an added transport: {list}.";
        }
        else
        {
            var where = discovered is null ? "added with AddMessagingTransport" : "installed or added with AddMessagingTransport";
            message = $"{Key} is '{requested}', which is not a transport {where}. Available transports: {list}.";
            if (Nearest(requested, available.Concat(TransportCatalog.Names)) is { } nearest)
            {
                message += $" Did you mean '{nearest}'?";
            }
        }

        if (discovered is { FromDependencyGraph: false })
        {
            message += " This application has no dependency manifest (deps.json), as after single-file publishing, so only " +
                "our own adapters were looked for: add any other with services.AddMessagingTransport<TRegistration>().";
        }

        return new MessagingConfigurationException(Key, message);
    }

    // "Rabbit" for RabbitMq, "InMemoryTransport" for InMemory: one name starting with the other is an abbreviation or
    // a suffix too many, not a different transport; three letters at least, so "A" does not suggest Aws.
    private static bool SharesPrefix(string requested, string candidate)
    {
        var (shorter, longer) = requested.Length <= candidate.Length ? (requested, candidate) : (candidate, requested);
        return shorter.Length >= 3 && longer.StartsWith(shorter, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Edit distance counting an insertion, a deletion, a substitution or a swap of two neighbours as one
    /// (optimal string alignment), so that "Kafak" is as near to Kafka as "Kafkx" is.</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}

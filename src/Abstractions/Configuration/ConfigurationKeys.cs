using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Messaging.Adapters;

/// <summary>
/// Refuses keys under <c>Messaging</c> that nothing reads. The configuration binder ignores a key it does not know, so
/// <c>Messaging:Transprot</c> or <c>Messaging:RabbitMq:Url</c> would otherwise leave the application running on
/// defaults (the in-memory transport, the local broker) without a word.
/// </summary>
internal static class ConfigurationKeys
{
    /// <summary>Throws when <paramref name="messaging"/> holds a key that is not a setting: one that is not an option of
    /// <see cref="MessagingOptions"/>, not the section of a transport, or not an option of the chosen transport's options
    /// class (<see cref="ITransportRegistration.OptionsType"/>).</summary>
    /// <param name="messaging">The <c>Messaging</c> section.</param>
    /// <param name="chosen">The chosen transport.</param>
    /// <param name="transports">The names of every transport whose section may appear (installed, added, ours).</param>
    /// <exception cref="MessagingConfigurationException">An unknown key; the message names each and the nearest known one.</exception>
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "Options classes are bound by the configuration binder, which keeps their public properties.")]
    public static void ThrowOnUnknown(IConfigurationSection messaging, ITransportRegistration chosen, IEnumerable<string> transports)
    {
        var problems = new List<(string Key, string Text)>();
        var transportNames = transports.Append(chosen.Name).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var settings = Settable(typeof(MessagingOptions));
        foreach (var child in messaging.GetChildren())
        {
            if (transportNames.FirstOrDefault(name => string.Equals(name, child.Key, StringComparison.OrdinalIgnoreCase)) is { } transport)
            {
                if (string.Equals(transport, chosen.Name, StringComparison.OrdinalIgnoreCase) && chosen.OptionsType is { } optionsType)
                {
                    Check(child, optionsType, problems);
                }

                continue;
            }

            if (settings.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase)) is { } setting)
            {
                if (IsComplex(setting.PropertyType))
                {
                    Check(child, setting.PropertyType, problems);
                }
                else if (setting.PropertyType == typeof(Dictionary<string, ConsumerSettings>))
                {
                    // Messaging:Consumers:<name>: the names are free, what is under each is checked.
                    foreach (var entry in child.GetChildren())
                    {
                        Check(entry, typeof(ConsumerSettings), problems);
                    }
                }

                continue;
            }

            problems.Add((child.Path, Unknown(child, settings.Select(p => p.Name).Concat(transportNames))));
        }

        if (problems.Count > 0)
        {
            throw new MessagingConfigurationException(problems[0].Key, string.Join(" ", problems.Select(p => p.Text)));
        }
    }

    private static void Check(IConfigurationSection section, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type, List<(string Key, string Text)> problems)
    {
        var settings = Settable(type);
        foreach (var child in section.GetChildren())
        {
            var setting = settings.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (setting is null)
            {
                problems.Add((child.Path, Unknown(child, settings.Select(p => p.Name))));
            }
            else if (IsComplex(setting.PropertyType))
            {
                Check(child, setting.PropertyType, problems);
            }
        }
    }

    private static string Unknown(IConfigurationSection key, IEnumerable<string> known)
    {
        var parent = key.Path[..^(key.Key.Length + 1)];
        var text = $"{key.Path} is not a setting: nothing reads it, so it would be ignored.";
        var candidates = known.ToList();
        return TransportSelection.Nearest(key.Key, candidates) is { } nearest
            ? text + $" Did you mean {parent}:{nearest}?"
            : text + $" The settings under {parent} are: {string.Join(", ", candidates.Order(StringComparer.Ordinal))}.";
    }

    /// <summary>The properties the binder sets: public, readable, with a public setter or (for a nested options class)
    /// bound in place; delegates (code-only escape hatches) are not settings.</summary>
    private static List<PropertyInfo> Settable([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.CanRead && (p.SetMethod?.IsPublic == true || IsComplex(p.PropertyType)))
            .Where(p => !typeof(Delegate).IsAssignableFrom(p.PropertyType))
            .ToList();

    /// <summary>A nested options class whose keys are checked too; not a value, a collection or a dictionary.</summary>
    private static bool IsComplex(Type type) =>
        type.IsClass && type != typeof(string) && type != typeof(Uri) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type)
        && !typeof(Delegate).IsAssignableFrom(type) && type.GetConstructor(Type.EmptyTypes) is not null;
}

using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Messaging.Adapters.Hosting;

/// <summary>
/// Warns when a hosted subscription's filter keeps a type name that nothing in the application knows: a typo in
/// <c>SubscriptionFilter.ForTypes("order.plaecd")</c> would otherwise keep nothing, silently.
/// </summary>
/// <remarks>Only a warning: an untyped subscription may keep the types of another system, which have no class here.
/// Typed subscriptions do not need it (their filter is made of their handlers' types, and one naming another type
/// stops start-up).</remarks>
internal static partial class FilterTypeCheck
{
    /// <summary>Logs each type name of <paramref name="filter"/> that the application's type map does not know and no
    /// <see cref="MessageTypeAttribute"/> of a loaded assembly gives.</summary>
    /// <param name="services">The application's provider.</param>
    /// <param name="filter">The subscription's filter.</param>
    /// <param name="consumer">The subscription, for the message.</param>
    public static void WarnOfUnknownTypes(IServiceProvider services, SubscriptionFilter? filter, string consumer)
    {
        if (filter is null || filter.MessageTypes.Count == 0)
        {
            return;
        }

        var map = services.GetService<MessageCodec>()?.Types;
        var unknown = filter.MessageTypes.Where(name => map?.FindType(name) is null).ToList();
        if (unknown.Count == 0)
        {
            return;
        }

        var declared = DeclaredTypeNames();
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger(typeof(FilterTypeCheck).FullName!);
        foreach (var name in unknown.Where(n => !declared.Contains(n)))
        {
            if (logger is not null)
            {
                LogUnknownType(logger, consumer, name);
            }
        }
    }

    // Only the warning reads this: a message class that trimming removed cannot be the one the filter means.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Used for a start-up warning only.")]
    private static HashSet<string> DeclaredTypeNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic))
        {
            Type?[] types;
            try
            {
                types = assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException ex)
            {
                types = ex.Types;
            }

            foreach (var type in types)
            {
                if (type?.GetCustomAttribute<MessageTypeAttribute>(inherit: false) is { } attribute)
                {
                    names.Add(attribute.Name);
                }
            }
        }

        return names;
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "The filter of {Consumer} keeps message type '{MessageType}', which no [MessageType] class of the application declares and no mapped class has: if it is a typo, the subscription receives none of the messages meant")]
    private static partial void LogUnknownType(ILogger logger, string consumer, string messageType);
}

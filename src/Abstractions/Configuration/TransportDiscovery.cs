using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.DependencyModel;

namespace Messaging.Adapters;

/// <summary>
/// Finds the installed adapters: assemblies marked with <see cref="MessagingTransportAttribute"/>.
/// </summary>
/// <remarks>Only assemblies that depend on Messaging.Adapters.Abstractions can carry the attribute, so only those are
/// loaded: the libraries of the application's dependency graph (deps.json) that depend on it, directly or through another
/// library, and the assemblies already loaded. Without a dependency graph (single-file publishing, or a host that
/// ships none) our own adapters are still found by their package names; other adapters then need
/// <c>AddMessagingTransport</c>.</remarks>
internal static class TransportDiscovery
{
    internal const string RequiresUnreferencedCodeMessage =
        "Finds adapter assemblies in the application's dependency graph and creates their registrations by reflection; " +
        "trimming removes adapter assemblies that no code references. Add the transport with " +
        "AddMessagingTransport<TRegistration>() and call AddMessagingWithoutDiscovery instead.";

    private static readonly string AbstractionsName = typeof(MessagingTransportAttribute).Assembly.GetName().Name!;

    [RequiresUnreferencedCode(RequiresUnreferencedCodeMessage)]
    [UnconditionalSuppressMessage(
        "SingleFile",
        "IL3002:Avoid calling members marked with 'RequiresAssemblyFilesAttribute' when publishing as a single-file",
        Justification = "DependencyContext.Default is null in a single-file application; Discover then falls back to our package names and the loaded assemblies.")]
    public static DiscoveredTransports Discover() => Discover(DependencyContext.Default, AppDomain.CurrentDomain.GetAssemblies());

    /// <summary>Discovers from a given dependency graph (none: <see langword="null"/>) and set of loaded assemblies.</summary>
    [RequiresUnreferencedCode(RequiresUnreferencedCodeMessage)]
    internal static DiscoveredTransports Discover(DependencyContext? dependencies, IEnumerable<Assembly> loaded)
    {
        var candidates = dependencies is null
            ? TransportCatalog.Names.Select(name => new AssemblyName(TransportCatalog.PackageOf(name)))
            : DependentAssemblyNames(dependencies);
        var assemblies = candidates
            .Select(TryLoad)
            .OfType<Assembly>()
            .Concat(loaded.Where(ReferencesAbstractions))
            .Distinct();
        var registrations = assemblies
            .SelectMany(CreateRegistrations)
            .DistinctBy(registration => registration.GetType())
            .ToList();
        return new DiscoveredTransports(registrations, FromDependencyGraph: dependencies is not null);
    }

    /// <summary>Describes registrations for an error message: name, type and assembly of each.</summary>
    internal static string Describe(IEnumerable<ITransportRegistration> registrations) =>
        string.Join(", ", registrations.Select(r => $"'{r.Name}' ({r.GetType().FullName}, assembly {r.GetType().Assembly.GetName().Name})"));

    private static IEnumerable<AssemblyName> DependentAssemblyNames(DependencyContext dependencies)
    {
        // Transitive, not only direct: a package can be compiled against the Abstractions it gets through another
        // package, and then its deps.json entry lists only that other package.
        var dependents = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { AbstractionsName };
        var remaining = dependencies.RuntimeLibraries.Where(library => !dependents.Contains(library.Name)).ToList();
        var found = new List<RuntimeLibrary>();
        while (remaining.Find(library => library.Dependencies.Any(d => dependents.Contains(d.Name))) is { } library)
        {
            dependents.Add(library.Name);
            found.Add(library);
            remaining.Remove(library);
        }

        return found.SelectMany(library => library.GetDefaultAssemblyNames(dependencies));
    }

    private static Assembly? TryLoad(AssemblyName name)
    {
        try
        {
            return Assembly.Load(name);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            // Listed is not always present: trimming removes unreferenced assemblies, and a library's assets can be
            // missing for this platform. Such an adapter is simply not installed.
            return null;
        }
    }

    [RequiresUnreferencedCode(RequiresUnreferencedCodeMessage)]
    private static bool ReferencesAbstractions(Assembly assembly) =>
        !assembly.IsDynamic && assembly.GetReferencedAssemblies().Any(reference => reference.Name == AbstractionsName);

    [RequiresUnreferencedCode(RequiresUnreferencedCodeMessage)]
    private static IEnumerable<ITransportRegistration> CreateRegistrations(Assembly assembly)
    {
        foreach (var attribute in assembly.GetCustomAttributes<MessagingTransportAttribute>())
        {
            var type = attribute.RegistrationType;
            if (!typeof(ITransportRegistration).IsAssignableFrom(type) || type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
            {
                throw new InvalidOperationException(
                    $"Assembly {assembly.GetName().Name} names {type.FullName} in [MessagingTransport], which is not a class implementing " +
                    $"{nameof(ITransportRegistration)} with a public parameterless constructor.");
            }

            var registration = (ITransportRegistration)Activator.CreateInstance(type)!;
            if (string.IsNullOrWhiteSpace(registration.Name))
            {
                throw new InvalidOperationException($"{type.FullName}.Name (assembly {assembly.GetName().Name}) is empty; it must name the transport.");
            }

            yield return registration;
        }
    }
}

/// <summary>
/// The registrations discovery found.
/// </summary>
/// <param name="Registrations">One per registration type.</param>
/// <param name="FromDependencyGraph">Whether the application's dependency graph was read; without it only our own
/// adapters and the loaded assemblies were searched.</param>
internal sealed record DiscoveredTransports(IReadOnlyList<ITransportRegistration> Registrations, bool FromDependencyGraph)
{
    public IReadOnlyList<string> Names() => TransportSelection.NamesOf(Registrations);

    public IReadOnlyList<ITransportRegistration> Named(string name) => Registrations.Where(r => r.IsNamed(name)).ToList();
}

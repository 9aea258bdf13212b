using Acme.Messaging.Nats;
using Messaging.Adapters.InMemory.Configuration;
using Microsoft.Extensions.DependencyModel;

namespace Messaging.Adapters.Tests.Configuration;

/// <summary>How installed adapters are found: this test application's dependency graph lists the in-memory adapter and
/// a third party's (Acme.Messaging.Nats, transport "Nats"), which follows none of our naming.</summary>
public sealed class TransportDiscoveryTests
{
    private const string Abstractions = "Messaging.Adapters.Abstractions";

    [Fact]
    public void The_dependency_graph_alone_finds_our_adapter_and_a_third_partys_whatever_its_assembly_is_called()
    {
        var discovered = TransportDiscovery.Discover(DependencyContext.Default, loaded: []);

        Assert.True(discovered.FromDependencyGraph);
        Assert.Equal([TransportCatalog.InMemory, "Nats"], discovered.Names());
        Assert.Equal("Acme.Messaging.Nats", Assert.Single(discovered.Named("nats")).GetType().Assembly.GetName().Name);
    }

    [Fact]
    public void Without_a_dependency_graph_our_adapters_are_found_by_package_name_and_others_only_when_loaded()
    {
        var conventionOnly = TransportDiscovery.Discover(dependencies: null, loaded: []);
        var withLoaded = TransportDiscovery.Discover(dependencies: null, loaded: [typeof(NatsTransportRegistration).Assembly, typeof(object).Assembly]);

        Assert.False(conventionOnly.FromDependencyGraph);
        Assert.Equal([TransportCatalog.InMemory], conventionOnly.Names());
        Assert.Equal([TransportCatalog.InMemory, "Nats"], withLoaded.Names());
    }

    [Fact]
    public void Only_libraries_that_depend_on_Abstractions_are_searched_directly_or_through_another_library()
    {
        var graph = Graph(
            Library("Acme.Messaging.Core", [Abstractions]),
            Library("Acme.Messaging.Nats", ["Acme.Messaging.Core"], "lib/net10.0/Acme.Messaging.Nats.dll"),
            // Carries [MessagingTransport], but the graph says it does not depend on Abstractions: never loaded.
            Library("Messaging.Adapters.InMemory", [], "lib/net10.0/Messaging.Adapters.InMemory.dll"));

        var discovered = TransportDiscovery.Discover(graph, loaded: []);

        Assert.Equal(["Nats"], discovered.Names());
    }

    [Fact]
    public void A_library_listed_in_the_graph_whose_assembly_is_missing_is_not_installed()
    {
        var graph = Graph(
            Library("Ghost.Messaging.Adapter", [Abstractions], "lib/net10.0/Ghost.Messaging.Adapter.dll"),
            Library("Messaging.Adapters.InMemory", [Abstractions], "lib/net10.0/Messaging.Adapters.InMemory.dll"));

        var discovered = TransportDiscovery.Discover(graph, loaded: []);

        Assert.Equal([TransportCatalog.InMemory], discovered.Names());
        Assert.IsType<InMemoryTransportRegistration>(Assert.Single(discovered.Registrations));
    }

    [Fact]
    public void An_adapter_found_twice_counts_once()
    {
        var inMemory = typeof(InMemoryTransportRegistration).Assembly;

        var discovered = TransportDiscovery.Discover(
            Graph(Library("Messaging.Adapters.InMemory", [Abstractions], "lib/net10.0/Messaging.Adapters.InMemory.dll")),
            loaded: [inMemory, inMemory]);

        Assert.Single(discovered.Registrations);
    }

    [Theory]
    [InlineData("Nope")]
    [InlineData("Nats")]
    [InlineData("Sqs")]
    [InlineData("A")]
    public void A_name_far_from_every_transport_suggests_none(string requested) =>
        Assert.Null(TransportSelection.Nearest(requested, TransportCatalog.Names));

    private static DependencyContext Graph(params RuntimeLibrary[] libraries) =>
        new(new TargetInfo(".NETCoreApp,Version=v10.0", runtime: null, runtimeSignature: null, isPortable: true),
            CompilationOptions.Default,
            [],
            libraries,
            []);

    private static RuntimeLibrary Library(string name, string[] dependencies, params string[] assemblies) =>
        new("package",
            name,
            "1.0.0",
            hash: string.Empty,
            runtimeAssemblyGroups: assemblies.Length == 0 ? [] : [new RuntimeAssetGroup(string.Empty, assemblies)],
            nativeLibraryGroups: [],
            resourceAssemblies: [],
            dependencies: dependencies.Select(d => new Dependency(d, "1.0.0")).ToList(),
            serviceable: false);
}

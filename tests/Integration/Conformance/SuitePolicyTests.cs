using System.Reflection;
using System.Text.RegularExpressions;

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Guards the suite's own rules, so that a transport cannot silently miss an area, opt out of a scenario, or skip
/// for any reason but a declared capability.
/// </summary>
public sealed partial class SuitePolicyTests
{
    private static readonly Assembly Suite = typeof(TransportFixture).Assembly;

    private static readonly string[] SkipCalls = ["Assert.Skip", "SkipException", "Skip =", "Skip=", "[Fact(Skip", "SkipUnless", "SkipWhen"];

    [Fact]
    public void The_suite_has_scenario_areas_and_transport_fixtures()
    {
        Assert.True(ScenarioAreas().Count >= 13, $"Expected the 13 scenario areas or more, found {ScenarioAreas().Count}: {string.Join(", ", ScenarioAreas().Select(a => a.Name))}");
        Assert.NotEmpty(TransportFixtures());
    }

    [Fact]
    public void Every_scenario_area_runs_on_every_transport()
    {
        var concrete = Suite.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false }).ToList();
        var missing = new List<string>();
        foreach (var fixture in TransportFixtures())
        {
            foreach (var area in ScenarioAreas())
            {
                var closed = area.MakeGenericType(fixture);
                if (!concrete.Any(closed.IsAssignableFrom))
                {
                    missing.Add($"{fixture.Name} has no subclass of {Readable(area)}: add `public sealed class <Transport><Area>({fixture.Name} f) : {area.Name[..area.Name.IndexOf('`', StringComparison.Ordinal)]}<{fixture.Name}>(f);`");
                }
            }
        }

        Assert.True(missing.Count == 0, string.Join(Environment.NewLine, missing));
    }

    [Fact]
    public void Scenario_tests_are_public_and_cannot_be_overridden()
    {
        var problems = new List<string>();
        foreach (var area in ScenarioAreas())
        {
            var tests = TestMethods(area).ToList();
            if (tests.Count == 0)
            {
                problems.Add($"{Readable(area)} has no [Fact] scenarios.");
            }

            foreach (var test in tests)
            {
                if (test.IsVirtual || test.IsAbstract)
                {
                    problems.Add($"{Readable(area)}.{test.Name} is virtual: a transport could override it into a silent pass.");
                }

                if (!test.IsPublic)
                {
                    problems.Add($"{Readable(area)}.{test.Name} is not public.");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Transport_lines_are_sealed_one_liners_that_add_or_change_no_tests()
    {
        var problems = new List<string>();
        foreach (var type in Suite.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && IsScenarioClass(t)))
        {
            if (!type.IsSealed)
            {
                problems.Add($"{type.Name} should be sealed.");
            }

            var own = type.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(m => !m.IsSpecialName && !m.Name.Contains('<', StringComparison.Ordinal))
                .Select(m => m.Name)
                .ToList();
            if (own.Count > 0)
            {
                problems.Add($"{type.Name} declares its own members ({string.Join(", ", own)}); scenarios live in the abstract area class only.");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Scenarios_skip_only_through_Capability_with_a_declared_capability_name()
    {
        var problems = new List<string>();
        var capabilityFile = Path.Combine("Conformance", "Capability.cs");
        var requireCall = RequireCallPattern();
        var anyRequire = AnyRequirePattern();
        foreach (var file in SourceFiles())
        {
            var text = File.ReadAllText(file.FullPath);
            if (file.RelativePath == capabilityFile || file.RelativePath == Path.Combine("Conformance", "SuitePolicyTests.cs"))
            {
                continue;
            }

            foreach (var call in SkipCalls.Where(c => text.Contains(c, StringComparison.Ordinal)))
            {
                problems.Add($"{file.RelativePath} uses '{call}': skip only through Capability.Require(Fixture, nameof(TransportCapabilities.X)), so every skip names a capability.");
            }

            var wellFormed = requireCall.Matches(text);
            if (anyRequire.Count(text) != wellFormed.Count)
            {
                problems.Add($"{file.RelativePath} calls Capability.Require/RequireMissing without `Fixture, nameof(TransportCapabilities.X)`.");
            }

            foreach (Match call in wellFormed)
            {
                var (name, isLimit) = (call.Groups["capability"].Value, call.Groups["kind"].Value == "Limit");
                var allowed = isLimit ? Capability.LimitNames : Capability.Names;
                if (!allowed.Contains(name))
                {
                    problems.Add($"{file.RelativePath} requires '{name}', which is not a {(isLimit ? "nullable limit" : "boolean capability")} ({string.Join(", ", allowed)}).");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Skip_reasons_start_with_the_capability_name()
    {
        // Assert.Skip cannot be caught and inspected inside a test (xunit records the skip anyway), so this checks
        // the reasons Capability.Require and RequireMissing pass to it.
        var none = new TransportCapabilities { MaxMessageSize = 1 };
        var all = Capability.Names.Aggregate(none, (caps, name) =>
        {
            var copy = caps with { };
            typeof(TransportCapabilities).GetProperty(name)!.SetValue(copy, true);
            return copy;
        });
        foreach (var capability in Capability.Names)
        {
            Assert.StartsWith(capability + ": ", Capability.ReasonToSkip(none, "Probe", capability), StringComparison.Ordinal);
            Assert.Null(Capability.ReasonToSkip(all, "Probe", capability));
            Assert.StartsWith(capability + ": ", Capability.ReasonToSkipWhenDeclared(all, "Probe", capability), StringComparison.Ordinal);
            Assert.Null(Capability.ReasonToSkipWhenDeclared(none, "Probe", capability));
        }

        Assert.Throws<ArgumentException>(() => Capability.ReasonToSkip(none, "Probe", "NoSuchCapability"));
        Assert.Throws<ArgumentException>(() => Capability.ReasonToSkip(none, "Probe", nameof(TransportCapabilities.MaxMessageSize)));

        Assert.NotEmpty(Capability.LimitNames);
        var limited = none with { MaxDelay = TimeSpan.FromMinutes(15), MaxBatchEntries = 10, MaxBatchBytes = 1024 };
        foreach (var limit in Capability.LimitNames)
        {
            Assert.StartsWith(limit + ": ", Capability.ReasonToSkipWithoutLimit(none, "Probe", limit), StringComparison.Ordinal);
            Assert.Null(Capability.ReasonToSkipWithoutLimit(limited, "Probe", limit));
        }

        Assert.Throws<ArgumentException>(() => Capability.ReasonToSkipWithoutLimit(none, "Probe", nameof(TransportCapabilities.Streams)));
        Assert.Throws<ArgumentException>(() => Capability.ReasonToSkipWithoutLimit(none, "Probe", nameof(TransportCapabilities.MaxMessageSize)));
    }

    [Fact]
    public void Scenario_code_references_no_adapter()
    {
        var problems = new List<string>();
        var adapterUsing = AdapterUsingPattern();
        foreach (var file in SourceFiles().Where(f => f.RelativePath.StartsWith("Conformance", StringComparison.Ordinal)))
        {
            foreach (Match match in adapterUsing.Matches(File.ReadAllText(file.FullPath)))
            {
                problems.Add($"{file.RelativePath} references {match.Groups["ns"].Value}; scenarios talk only to Abstractions and TransportFixture.");
            }
        }

        var referenced = Suite.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Messaging.Adapters.", StringComparison.Ordinal)).ToList();
        Assert.Contains("Messaging.Adapters.Abstractions", referenced);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void The_id_set_checker_reports_missing_unexpected_and_duplicated_ids()
    {
        var difference = IdSetDifference.Between(["a", "b", "c"], new Dictionary<string, int> { ["a"] = 1, ["c"] = 3, ["x"] = 2 });

        Assert.False(difference.IsExact);
        Assert.Equal("b", Assert.Single(difference.Missing));
        Assert.Equal(2, difference.Unexpected["x"]);
        Assert.Equal(3, difference.Duplicated["c"]);
        Assert.Equal(2, difference.ExtraDeliveries);
        Assert.Equal("of 3 expected: missing 1 [b], unexpected 1 [x (2 times)], duplicated 1 [c (3 times)]", difference.ToString());
        Assert.True(IdSetDifference.Between(["a"], new Dictionary<string, int> { ["a"] = 1 }).IsExact);
        Assert.Throws<ArgumentException>(() => IdSetDifference.Between(["a", "a"], new Dictionary<string, int>()));
    }

    [Fact]
    public async Task The_delivery_log_counts_duplicates_ignores_other_runs_and_fails_with_the_difference()
    {
        var log = new DeliveryLog("probe", "run-1");
        var mine = new Envelope("t", ReadOnlyMemory<byte>.Empty) { Id = "m1" }.WithHeader(TransportFixture.RunIdHeader, "run-1");
        var leftover = new Envelope("t", ReadOnlyMemory<byte>.Empty) { Id = "old" }.WithHeader(TransportFixture.RunIdHeader, "run-0");
        var waiting = log.WaitForAsync(["m1"], TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted);

        Assert.True(log.Record(new ReceivedMessage(mine, "q")));
        Assert.False(log.Record(new ReceivedMessage(leftover, "q")));
        Assert.True(log.Record(new ReceivedMessage(mine, "q", redelivered: true)));
        await waiting;

        Assert.Equal(2, log.Count);
        Assert.Equal(1, log.ForeignCount);
        var duplicate = Assert.ThrowsAny<Exception>(() => log.AssertExactlyOnce(["m1"]));
        Assert.Contains("m1 (2 times)", duplicate.Message, StringComparison.Ordinal);
        var timeout = await Assert.ThrowsAnyAsync<Exception>(() => log.WaitForAsync(["m1", "m2"], TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken));
        Assert.Contains("missing 1 [m2]", timeout.Message, StringComparison.Ordinal);
    }

    private static List<Type> ScenarioAreas() => Suite.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: true, IsGenericTypeDefinition: true } && t != typeof(ConformanceScenarios<>) && IsScenarioClass(t))
        .ToList();

    private static List<Type> TransportFixtures() => Suite.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && t.IsSubclassOf(typeof(TransportFixture)))
        .ToList();

    private static bool IsScenarioClass(Type type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.IsGenericType && current.GetGenericTypeDefinition() == typeof(ConformanceScenarios<>))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<MethodInfo> TestMethods(Type area) => area
        .GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
        .Where(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any());

    private static string Readable(Type area) => area.Name[..area.Name.IndexOf('`', StringComparison.Ordinal)] + "<TFixture>";

    private static List<(string FullPath, string RelativePath)> SourceFiles()
    {
        var root = Suite.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ConformanceSourceDirectory").Value!;
        Assert.True(Directory.Exists(root), $"The suite's sources are not at {root}.");
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(f => (FullPath: f, RelativePath: Path.GetRelativePath(root, f)))
            .Where(f => !f.RelativePath.StartsWith("obj", StringComparison.Ordinal) && !f.RelativePath.StartsWith("bin", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(files);
        return files;
    }

    [GeneratedRegex(@"Capability\.Require(?<kind>Missing|Limit)?\(\s*Fixture\s*,\s*nameof\(TransportCapabilities\.(?<capability>\w+)\)\s*\)")]
    private static partial Regex RequireCallPattern();

    [GeneratedRegex(@"Capability\.Require(Missing|Limit)?\(")]
    private static partial Regex AnyRequirePattern();

    [GeneratedRegex(@"using\s+(?<ns>Messaging\.Adapters\.(?!Integration\.Conformance\b)[\w.]+)\s*;")]
    private static partial Regex AdapterUsingPattern();
}

using System.Reflection;
using System.Text.RegularExpressions;

namespace Messaging.Adapters.Docs;

/// <summary>
/// The code blocks of the READMEs and the compiled text they must be. A README block is preceded by
/// <c>&lt;!-- snippet: NAME --&gt;</c>: NAME is either a repository path (the block is that whole file) or the name of
/// a region of a file under tests/Docs.Tests, written <c>// snippet: NAME</c> ... <c>// end snippet</c> (its common
/// indentation removed).
/// </summary>
internal static partial class Snippets
{
    /// <summary>The repository's root folder.</summary>
    public static string Root { get; } = typeof(Snippets).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>The READMEs whose code blocks must compile: the repository's, each package's and each sample's.</summary>
    public static IReadOnlyList<string> Readmes { get; } =
    [
        Path.Combine(Root, "README.md"),
        .. Directory.GetDirectories(Path.Combine(Root, "src")).Concat(Directory.GetDirectories(Path.Combine(Root, "samples")))
            .Select(d => Path.Combine(d, "README.md"))
            .Where(File.Exists)
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>The named regions of the files under tests/Docs.Tests.</summary>
    public static IReadOnlyDictionary<string, string> Regions { get; } = ReadRegions();

    /// <summary>The code blocks of a README that are checked: <c>csharp</c> and <c>json</c>.</summary>
    /// <param name="readme">The README's text.</param>
    /// <returns>Each block: the snippet named before it (or <see langword="null"/>), its text, and where the text is.</returns>
    public static IEnumerable<Block> Blocks(string readme)
    {
        foreach (Match match in BlockPattern().Matches(readme))
        {
            var snippet = match.Groups["marker"].Success ? match.Groups["name"].Value.Trim() : null;
            var body = match.Groups["body"];
            yield return new Block(snippet, match.Groups["language"].Value, body.Value, body.Index, body.Length, LineOf(readme, body.Index) - 1);
        }
    }

    /// <summary>The text a snippet name stands for, or <see langword="null"/> when there is none.</summary>
    /// <param name="name">A region name or a repository path.</param>
    /// <returns>The text, with <c>\n</c> line ends and a final line end.</returns>
    public static string? Text(string name)
    {
        if (Regions.TryGetValue(name, out var region))
        {
            return region;
        }

        var path = Path.Combine(Root, name);
        return name.Contains('/', StringComparison.Ordinal) && File.Exists(path) ? Normalize(File.ReadAllText(path)) : null;
    }

    public static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n') + "\n";

    private static Dictionary<string, string> ReadRegions()
    {
        var regions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "tests", "Docs.Tests"), "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                                 && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var start = RegionStart().Match(lines[i]);
                if (!start.Success)
                {
                    continue;
                }

                var end = Array.FindIndex(lines, i + 1, l => l.Trim() == "// end snippet");
                if (end < 0)
                {
                    throw new InvalidOperationException($"{file}:{i + 1}: snippet '{start.Groups[1].Value}' has no '// end snippet'.");
                }

                var body = lines[(i + 1)..end];
                var indent = body.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
                var text = string.Concat(body.Select(l => (l.Length >= indent ? l[indent..] : l.TrimStart()) + "\n"));
                if (!regions.TryAdd(start.Groups[1].Value, text))
                {
                    throw new InvalidOperationException($"{file}:{i + 1}: snippet '{start.Groups[1].Value}' is defined twice.");
                }

                i = end;
            }
        }

        return regions;
    }

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    [GeneratedRegex(@"^\s*// snippet: (\S+)\s*$")]
    private static partial Regex RegionStart();

    [GeneratedRegex(@"(?<marker><!-- snippet: (?<name>[^>]+?) -->\n)?```(?<language>csharp|json)\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex BlockPattern();

    /// <summary>One code block of a README.</summary>
    /// <param name="Snippet">The snippet named before it, or <see langword="null"/>.</param>
    /// <param name="Language">Its language.</param>
    /// <param name="Text">Its text.</param>
    /// <param name="Index">Where its text starts in the README.</param>
    /// <param name="Length">The length of its text.</param>
    /// <param name="Line">The line of its opening fence.</param>
    public sealed record Block(string? Snippet, string Language, string Text, int Index, int Length, int Line);
}

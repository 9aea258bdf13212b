using System.Text;

namespace Messaging.Adapters.Docs;

/// <summary>
/// Every C# block of every README (and every JSON block with a snippet line) is a compiled or loaded snippet, text
/// for text; set MESSAGING_DOCS_UPDATE=1 to write
/// the snippets into the READMEs instead of failing (then review the diff).
/// </summary>
public sealed class ReadmeSnippetTests
{
    [Fact]
    public void Every_code_block_of_every_README_is_a_compiled_snippet_with_the_same_text()
    {
        var update = Environment.GetEnvironmentVariable("MESSAGING_DOCS_UPDATE") == "1";
        var problems = new List<string>();
        foreach (var readme in Snippets.Readmes)
        {
            var text = File.ReadAllText(readme).Replace("\r\n", "\n", StringComparison.Ordinal);
            var relative = Path.GetRelativePath(Snippets.Root, readme);
            var updated = new StringBuilder();
            var copied = 0;
            foreach (var block in Snippets.Blocks(text))
            {
                var where = $"{relative}:{block.Line}";
                if (block.Snippet is null && block.Language == "json")
                {
                    // Configuration shown as an illustration; a json block with a snippet line is checked too.
                    continue;
                }

                if (block.Snippet is null)
                {
                    problems.Add($"{where}: a ```{block.Language} block without a '<!-- snippet: NAME -->' line before it; put its code in a compiled snippet (tests/Docs.Tests) and name it.");
                    continue;
                }

                var expected = Snippets.Text(block.Snippet);
                if (expected is null)
                {
                    problems.Add($"{where}: snippet '{block.Snippet}' is neither a region of tests/Docs.Tests nor a file of the repository.");
                }
                else if (block.Text != expected)
                {
                    updated.Append(text, copied, block.Index - copied).Append(expected);
                    copied = block.Index + block.Length;
                    problems.Add($"{where}: the block differs from snippet '{block.Snippet}'; it should read:\n{expected}");
                }
            }

            if (update && copied > 0)
            {
                updated.Append(text, copied, text.Length - copied);
                File.WriteAllText(readme, updated.ToString());
            }
        }

        Assert.True(update || problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_snippet_is_shown_in_a_README()
    {
        var used = Snippets.Readmes
            .SelectMany(r => Snippets.Blocks(File.ReadAllText(r).Replace("\r\n", "\n", StringComparison.Ordinal)))
            .Select(b => b.Snippet)
            .ToHashSet(StringComparer.Ordinal);

        Assert.Empty(Snippets.Regions.Keys.Where(name => !used.Contains(name)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_checker_finds_blocks_with_and_without_a_snippet_line()
    {
        const string readme = "text\n<!-- snippet: a -->\n```csharp\nvar x = 1;\n```\n\n```json\n{}\n```\n```bash\nls\n```\n";

        var blocks = Snippets.Blocks(readme).ToList();

        Assert.Equal(2, blocks.Count);
        Assert.Equal(("a", "csharp", "var x = 1;\n", 3), (blocks[0].Snippet, blocks[0].Language, blocks[0].Text, blocks[0].Line));
        Assert.Equal((null, "json", "{}\n", 7), (blocks[1].Snippet, blocks[1].Language, blocks[1].Text, blocks[1].Line));
    }
}

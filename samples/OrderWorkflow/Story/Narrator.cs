namespace OrderWorkflow.Story;

/// <summary>
/// Prints the story: one line per thing that happens, prefixed by who did it.
/// </summary>
/// <remarks>Handlers run concurrently, so lines of services reacting to the same event may come in any order;
/// a lock keeps each line whole.</remarks>
internal sealed class Narrator
{
    private readonly Lock _gate = new();

    public void Title(string text)
    {
        lock (_gate)
        {
            Console.WriteLine(text);
            Console.WriteLine(new string('=', text.Length));
        }
    }

    public void Step(int number, string title)
    {
        lock (_gate)
        {
            Console.WriteLine();
            Console.WriteLine($"{number}. {title}");
            Console.WriteLine(new string('-', title.Length + 3));
        }
    }

    /// <summary>A line said by one participant, for example <c>[inventory] reserved 2 x SKU-1 for order 1001</c>.</summary>
    public void Say(string who, string text)
    {
        lock (_gate)
        {
            Console.WriteLine($"  [{who}] {text}");
        }
    }

    /// <summary>A line of plain text, indented like the story.</summary>
    public void Line(string text)
    {
        lock (_gate)
        {
            Console.WriteLine(text.Length == 0 ? "" : $"  {text}");
        }
    }

    public void Plain(string text)
    {
        lock (_gate)
        {
            Console.WriteLine(text);
        }
    }
}

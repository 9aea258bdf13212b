using System.Globalization;

namespace Messaging.Adapters.Benchmarks.Shared;

/// <summary>The benchmark programs' <c>--name value</c> options.</summary>
internal static class CommandLine
{
    /// <summary>The integer after <paramref name="name"/>, or <paramref name="fallback"/> when it is not given.</summary>
    public static int Argument(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}

namespace Messaging.Adapters.Benchmarks.Shared;

/// <summary>Benchmarks measure Release builds only.</summary>
internal static class ReleaseBuild
{
    /// <summary>Whether this is a Debug build, said on standard error: the program should stop then.</summary>
    public static bool IsMissing()
    {
#if DEBUG
        Console.Error.WriteLine("This is a Debug build; its numbers mean nothing. Run it with -c Release.");
        return true;
#else
        return false;
#endif
    }
}

using System.Runtime;
using System.Runtime.InteropServices;

namespace Messaging.Adapters.Benchmarks;

/// <summary>What the numbers were measured on.</summary>
internal static class MachineInfo
{
    public static string Describe() =>
        $"{CpuModel()}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, "
        + $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC{(GCSettings.LatencyMode == GCLatencyMode.Interactive ? " (concurrent)" : "")}";

    /// <summary>The 1, 5 and 15 minute load averages (Linux), to show how busy the machine was around the run:
    /// anything above 0 on a 2-core machine is other work competing with the benchmark.</summary>
    public static string LoadAverage()
    {
        const string loadAverage = "/proc/loadavg";
        return File.Exists(loadAverage) ? string.Join(" ", File.ReadAllText(loadAverage).Split(' ').Take(3)) : "unknown";
    }

    private static string CpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (File.Exists(cpuInfo))
        {
            var model = File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (model is not null && model.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
            {
                return model[(colon + 1)..].Trim();
            }
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}

/// <summary>How this program was compiled.</summary>
internal static class BuildInfo
{
    // A property rather than a const, so the compiler does not flag the Release-only code as unreachable in Debug.
#if DEBUG
    public static bool IsDebug => true;
#else
    public static bool IsDebug => false;
#endif
}

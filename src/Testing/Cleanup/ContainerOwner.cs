using System.Diagnostics;
using System.Globalization;

namespace Messaging.Adapters.Testing.Cleanup;

/// <summary>
/// The process that started a broker container, written on the container as a label. Without Ryuk (Testcontainers'
/// reaper, which some machines cannot run) a test process that dies before disposing leaves its container behind; the
/// label lets the next start on the same machine recognise and remove it.
/// </summary>
internal sealed record ContainerOwner(string Machine, int ProcessId, long ProcessStartTicks)
{
    /// <summary>The label key: containers carrying it were started by this package.</summary>
    public const string Label = "messaging-adapters.testing.owner";

    // On Linux a process's start time is its start in jiffies after boot plus the boot time, which .NET derives from
    // the current clock once per process: two processes read one start time milliseconds apart. A reused process id
    // starts much later than that; taking a live owner for gone would remove another test process's broker under it.
    private static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(1);

    public static ContainerOwner Current { get; } = FromProcess(Process.GetCurrentProcess());

    public string LabelValue => string.Create(CultureInfo.InvariantCulture, $"{Machine}/{ProcessId}/{ProcessStartTicks}");

    public static ContainerOwner? Parse(string labelValue)
    {
        var parts = labelValue.Split('/');
        return parts.Length == 3
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var processId)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var startTicks)
            ? new ContainerOwner(parts[0], processId, startTicks)
            : null;
    }

    /// <summary>
    /// Whether the owner is a process of this machine that is gone (a process id reused since by another process,
    /// told apart by its start time, counts as gone). Owners on other machines sharing the engine are never judged.
    /// </summary>
    public bool IsGoneFromThisMachine()
    {
        if (!string.Equals(Machine, Current.Machine, StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(ProcessId);
            return Math.Abs(FromProcess(process).ProcessStartTicks - ProcessStartTicks) > StartTimeTolerance.Ticks;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static ContainerOwner FromProcess(Process process) =>
        new(Environment.MachineName, process.Id, process.StartTime.ToUniversalTime().Ticks);
}

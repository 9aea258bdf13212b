using System.Security.Cryptography;
using System.Text;

namespace Messaging.Adapters.Aws.Topology;

/// <summary>
/// Maps the library's names (<see cref="DestinationNames.Rule"/>) onto SQS queue and SNS topic names, which allow
/// <c>[A-Za-z0-9_-]</c> up to 80 characters and end in <c>.fifo</c> for FIFO queues and topics.
/// </summary>
internal static class AwsNames
{
    /// <summary>The longest SQS queue (and SNS topic name we create), FIFO suffix included.</summary>
    public const int MaxLength = 80;

    private const string FifoSuffix = ".fifo";

    /// <summary>Whether a name is FIFO: one of its dot-separated segments is <c>fifo</c> (<c>orders.fifo</c>, and so
    /// its dead-letter queue <c>orders.fifo.dead-letter</c> and a FIFO topic's subscription queue <c>prices.fifo.audit</c>).</summary>
    public static bool IsFifo(string name) =>
        name.EndsWith(FifoSuffix, StringComparison.Ordinal) || name.StartsWith("fifo.", StringComparison.Ordinal) || name.Contains(".fifo.", StringComparison.Ordinal) || name == "fifo";

    /// <summary>The physical name: <c>.</c> as <c>-</c>, <c>.fifo</c> at the end of a FIFO name, and a name over 80
    /// characters cut to its first characters plus <c>-</c> and 8 hex digits of the SHA-256 of the whole.</summary>
    public static string Physical(string name) => Physical(name, IsFifo(name));

    /// <summary>The physical name of a destination that is FIFO or not whatever its name says
    /// (<see cref="AwsTransportOptions.Fifo"/>).</summary>
    public static string Physical(string name, bool fifo)
    {
        var stem = fifo && name.EndsWith(FifoSuffix, StringComparison.Ordinal) ? name[..^FifoSuffix.Length] : name;
        stem = stem.Replace('.', '-');
        var room = MaxLength - (fifo ? FifoSuffix.Length : 0);
        if (stem.Length > room)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
            stem = stem[..(room - 9)] + "-" + hash;
        }

        return fifo ? stem + FifoSuffix : stem;
    }
}

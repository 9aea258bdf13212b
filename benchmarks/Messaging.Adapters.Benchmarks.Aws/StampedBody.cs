using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;

namespace Messaging.Adapters.Benchmarks.Aws;

/// <summary>
/// The message body both pipelines send: the <see cref="Stopwatch"/> timestamp of the send in decimal digits, padded
/// with <c>.</c> to the body size. Text, because an SQS body is text (a binary body would travel base64-encoded
/// through the adapter and be compared with nothing on the raw side).
/// </summary>
internal static class StampedBody
{
    public static string Create(long sentAt, int size)
    {
        var stamp = sentAt.ToString(CultureInfo.InvariantCulture);
        return stamp.Length >= size ? stamp : stamp.PadRight(size, '.');
    }

    /// <summary>Microseconds since the send the body was stamped with.</summary>
    public static double LatencyMicroseconds(ReadOnlySpan<byte> utf8) =>
        Utf8Parser.TryParse(utf8, out long sentAt, out _) ? Stopwatch.GetElapsedTime(sentAt).TotalMicroseconds : throw new FormatException("The body carries no send time.");

    /// <inheritdoc cref="LatencyMicroseconds(ReadOnlySpan{byte})"/>
    public static double LatencyMicroseconds(string text)
    {
        var digits = text.AsSpan();
        var end = digits.IndexOf('.');
        return Stopwatch.GetElapsedTime(long.Parse(end < 0 ? digits : digits[..end], NumberStyles.None, CultureInfo.InvariantCulture)).TotalMicroseconds;
    }
}

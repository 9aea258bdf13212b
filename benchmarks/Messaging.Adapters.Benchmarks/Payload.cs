using System.Buffers.Binary;

namespace Messaging.Adapters.Benchmarks;

/// <summary>
/// The message body both pipelines carry: <c>size</c> bytes, the first four holding the message's sequence number,
/// which indexes the latency side arrays.
/// </summary>
internal static class Payload
{
    public const int SequenceBytes = sizeof(int);

    /// <summary>A new body for message <paramref name="sequence"/>; allocated per message in both pipelines, as an
    /// application serializing a message would.</summary>
    public static byte[] Create(int sequence, int size)
    {
        var body = new byte[size];
        BinaryPrimitives.WriteInt32LittleEndian(body, sequence);
        return body;
    }

    public static int ReadSequence(ReadOnlySpan<byte> body) => BinaryPrimitives.ReadInt32LittleEndian(body);
}

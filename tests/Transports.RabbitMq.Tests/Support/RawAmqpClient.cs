using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Messaging.Adapters.RabbitMq.Tests.Support;

/// <summary>
/// A minimal AMQP 0-9-1 client written at the frame level: a foreign publisher that can put on the wire what the
/// broker accepts but RabbitMQ.Client refuses to encode or decode (a decimal with scale 29, for example), and can read
/// a message back without decoding its properties.
/// </summary>
/// <remarks>Plain TCP, PLAIN authentication, one channel with publisher confirms. Enough for tests; not a client.</remarks>
internal sealed class RawAmqpClient : IAsyncDisposable
{
    private const byte MethodFrame = 1;
    private const byte HeaderFrame = 2;
    private const byte BodyFrame = 3;
    private const byte FrameEnd = 0xCE;
    private const ushort Channel = 1;

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private uint _frameMax = 131072;

    private RawAmqpClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>Connects, opens channel 1 and turns publisher confirms on.</summary>
    public static async Task<RawAmqpClient> ConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port > 0 ? uri.Port : 5672, cancellationToken);
        var client = new RawAmqpClient(tcp);
        try
        {
            await client.HandshakeAsync(uri, cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>A header table with one decimal field of the given scale: AMQP allows scales up to 255, the broker
    /// passes it on, RabbitMQ.Client (System.Decimal) cannot represent more than 28.</summary>
    public static byte[] DecimalHeader(string name, byte scale, int unscaled)
    {
        var table = new List<byte>();
        AppendShortString(table, name);
        table.Add((byte)'D');
        table.Add(scale);
        AppendInt32(table, unscaled);
        return [.. table];
    }

    /// <summary>A header table entry of type <c>longstr</c>.</summary>
    public static byte[] TextHeader(string name, string value)
    {
        var table = new List<byte>();
        AppendShortString(table, name);
        table.Add((byte)'S');
        var bytes = Encoding.UTF8.GetBytes(value);
        AppendInt32(table, bytes.Length);
        table.AddRange(bytes);
        return [.. table];
    }

    /// <summary>Publishes to an exchange ("" = the default one) with a message id, a persistent delivery mode and the
    /// given header table entries, and waits for the broker's confirm.</summary>
    public async Task PublishAsync(string exchange, string routingKey, string? messageId, IEnumerable<byte[]> headerEntries, byte[] body, CancellationToken cancellationToken)
    {
        var method = new List<byte>();
        AppendUInt16(method, 60);
        AppendUInt16(method, 40);
        AppendUInt16(method, 0);
        AppendShortString(method, exchange);
        AppendShortString(method, routingKey);
        method.Add(0); // neither mandatory nor immediate
        await WriteFrameAsync(MethodFrame, method.ToArray(), cancellationToken);

        var table = headerEntries.SelectMany(entry => entry).ToArray();
        var header = new List<byte>();
        AppendUInt16(header, 60);
        AppendUInt16(header, 0);
        AppendUInt64(header, (ulong)body.Length);
        ushort flags = 0x2000 | 0x1000; // headers, delivery mode
        if (messageId is not null)
        {
            flags |= 0x0080;
        }

        AppendUInt16(header, flags);
        AppendInt32(header, table.Length);
        header.AddRange(table);
        header.Add(2); // persistent
        if (messageId is not null)
        {
            AppendShortString(header, messageId);
        }

        await WriteFrameAsync(HeaderFrame, header.ToArray(), cancellationToken);
        for (var offset = 0; offset < body.Length; offset += (int)_frameMax - 8)
        {
            await WriteFrameAsync(BodyFrame, body.AsMemory(offset, Math.Min(body.Length - offset, (int)_frameMax - 8)), cancellationToken);
        }

        await ExpectAsync(60, 80, cancellationToken); // basic.ack
    }

    /// <summary>Takes one message from a queue (acknowledged at once) and returns its content header's raw property
    /// bytes, undecoded; <see langword="null"/> when the queue is empty.</summary>
    public async Task<byte[]?> GetRawPropertiesAsync(string queue, CancellationToken cancellationToken)
    {
        var method = new List<byte>();
        AppendUInt16(method, 60);
        AppendUInt16(method, 70);
        AppendUInt16(method, 0);
        AppendShortString(method, queue);
        method.Add(1); // no-ack
        await WriteFrameAsync(MethodFrame, method.ToArray(), cancellationToken);
        var (classId, methodId, _) = await ReadMethodAsync(cancellationToken);
        if ((classId, methodId) == (60, 72))
        {
            return null;
        }

        if ((classId, methodId) != (60, 71))
        {
            throw new InvalidOperationException($"Expected basic.get-ok, got method {classId}.{methodId}.");
        }

        var (type, payload) = await ReadFrameAsync(cancellationToken);
        if (type != HeaderFrame)
        {
            throw new InvalidOperationException($"Expected a content header frame, got frame type {type}.");
        }

        var size = BinaryPrimitives.ReadUInt64BigEndian(payload.AsSpan(4));
        for (ulong read = 0; read < size;)
        {
            var (_, body) = await ReadFrameAsync(cancellationToken);
            read += (ulong)body.Length;
        }

        return payload[12..];
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_tcp.Connected)
            {
                var close = new List<byte>();
                AppendUInt16(close, 10);
                AppendUInt16(close, 50);
                AppendUInt16(close, 200);
                AppendShortString(close, "bye");
                AppendUInt16(close, 0);
                AppendUInt16(close, 0);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await WriteFrameAsync(MethodFrame, close.ToArray(), timeout.Token, channel: 0);
                while ((await ReadMethodAsync(timeout.Token)) is not (10, 51, _))
                {
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or InvalidOperationException)
        {
            // Closing is best effort: the socket goes away below anyway.
        }

        _tcp.Dispose();
    }

    private async Task HandshakeAsync(Uri uri, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync("AMQP\0\0\u0009\u0001"u8.ToArray(), cancellationToken);
        await ExpectAsync(10, 10, cancellationToken); // connection.start

        var user = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]);
        var password = Uri.UnescapeDataString(uri.UserInfo.Split(':').ElementAtOrDefault(1) ?? string.Empty);
        var startOk = new List<byte>();
        AppendUInt16(startOk, 10);
        AppendUInt16(startOk, 11);
        AppendInt32(startOk, 0); // no client properties
        AppendShortString(startOk, "PLAIN");
        var response = Encoding.UTF8.GetBytes("\0" + user + "\0" + password);
        AppendInt32(startOk, response.Length);
        startOk.AddRange(response);
        AppendShortString(startOk, "en_US");
        await WriteFrameAsync(MethodFrame, startOk.ToArray(), cancellationToken, channel: 0);

        var tune = await ExpectAsync(10, 30, cancellationToken);
        var channelMax = BinaryPrimitives.ReadUInt16BigEndian(tune);
        _frameMax = BinaryPrimitives.ReadUInt32BigEndian(tune.AsSpan(2)) is > 0 and var frameMax ? Math.Min(frameMax, 131072u) : 131072u;
        var tuneOk = new List<byte>();
        AppendUInt16(tuneOk, 10);
        AppendUInt16(tuneOk, 31);
        AppendUInt16(tuneOk, channelMax);
        AppendUInt32(tuneOk, _frameMax);
        AppendUInt16(tuneOk, 0); // no heartbeats: the client lives seconds
        await WriteFrameAsync(MethodFrame, tuneOk.ToArray(), cancellationToken, channel: 0);

        var open = new List<byte>();
        AppendUInt16(open, 10);
        AppendUInt16(open, 40);
        var virtualHost = uri.AbsolutePath.Length > 1 ? Uri.UnescapeDataString(uri.AbsolutePath[1..]) : "/";
        AppendShortString(open, virtualHost);
        AppendShortString(open, string.Empty);
        open.Add(0);
        await WriteFrameAsync(MethodFrame, open.ToArray(), cancellationToken, channel: 0);
        await ExpectAsync(10, 41, cancellationToken);

        var channelOpen = new List<byte>();
        AppendUInt16(channelOpen, 20);
        AppendUInt16(channelOpen, 10);
        AppendShortString(channelOpen, string.Empty);
        await WriteFrameAsync(MethodFrame, channelOpen.ToArray(), cancellationToken);
        await ExpectAsync(20, 11, cancellationToken);

        var confirmSelect = new List<byte>();
        AppendUInt16(confirmSelect, 85);
        AppendUInt16(confirmSelect, 10);
        confirmSelect.Add(0);
        await WriteFrameAsync(MethodFrame, confirmSelect.ToArray(), cancellationToken);
        await ExpectAsync(85, 11, cancellationToken);
    }

    private async Task<byte[]> ExpectAsync(ushort classId, ushort methodId, CancellationToken cancellationToken)
    {
        var (gotClass, gotMethod, arguments) = await ReadMethodAsync(cancellationToken);
        if ((gotClass, gotMethod) == (classId, methodId))
        {
            return arguments;
        }

        var detail = (gotClass, gotMethod) is (10, 50) or (20, 40)
            ? ": " + Encoding.UTF8.GetString(arguments, 3, arguments[2])
            : string.Empty;
        throw new InvalidOperationException($"Expected method {classId}.{methodId}, got {gotClass}.{gotMethod}{detail}.");
    }

    private async Task<(ushort ClassId, ushort MethodId, byte[] Arguments)> ReadMethodAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var (type, payload) = await ReadFrameAsync(cancellationToken);
            if (type == MethodFrame)
            {
                return (BinaryPrimitives.ReadUInt16BigEndian(payload), BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(2)), payload[4..]);
            }
        }
    }

    private async Task<(byte Type, byte[] Payload)> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var head = new byte[7];
        await _stream.ReadExactlyAsync(head, cancellationToken);
        var size = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(3));
        var payload = new byte[size + 1];
        await _stream.ReadExactlyAsync(payload, cancellationToken);
        if (payload[^1] != FrameEnd)
        {
            throw new InvalidOperationException("Malformed frame: no frame-end octet.");
        }

        return (head[0], payload[..^1]);
    }

    private async Task WriteFrameAsync(byte type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken, ushort channel = Channel)
    {
        var frame = new byte[7 + payload.Length + 1];
        frame[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), channel);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(3), (uint)payload.Length);
        payload.Span.CopyTo(frame.AsSpan(7));
        frame[^1] = FrameEnd;
        await _stream.WriteAsync(frame, cancellationToken);
    }

    private static void AppendShortString(List<byte> buffer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        buffer.Add(checked((byte)bytes.Length));
        buffer.AddRange(bytes);
    }

    private static void AppendUInt16(List<byte> buffer, ushort value) => buffer.AddRange([(byte)(value >> 8), (byte)value]);

    private static void AppendInt32(List<byte> buffer, int value) => AppendUInt32(buffer, unchecked((uint)value));

    private static void AppendUInt32(List<byte> buffer, uint value) => buffer.AddRange([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

    private static void AppendUInt64(List<byte> buffer, ulong value)
    {
        AppendUInt32(buffer, (uint)(value >> 32));
        AppendUInt32(buffer, (uint)value);
    }
}

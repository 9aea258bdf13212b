using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Messaging.Adapters.Transport;

/// <summary>
/// The one documented string form of a header value a broker carries in a native type, so that a handler sees every
/// header of a foreign message whatever its type, the same way on every transport.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>native value</term><description>string form</description></listheader>
/// <item><term>text</term><description>the text</description></item>
/// <item><term>bytes that are valid UTF-8 (an AMQP <c>longstr</c>, a Kafka header)</term><description>the text</description></item>
/// <item><term>other bytes (binary data, invalid UTF-8)</term><description><c>base64:</c> and the bytes in base 64, so
/// nothing is silently altered</description></item>
/// <item><term>integers, decimals</term><description>invariant culture, no grouping: <c>-42</c>, <c>12.50</c></description></item>
/// <item><term>floating point</term><description>shortest round-trip form, invariant culture: <c>0.1</c>, <c>1E+300</c></description></item>
/// <item><term>booleans</term><description><c>true</c> or <c>false</c></description></item>
/// <item><term>timestamps</term><description>RFC 3339 in UTC: <c>2026-11-30T14:00:00Z</c></description></item>
/// <item><term>arrays, tables (maps)</term><description>JSON, elements in the forms above (texts and timestamps as JSON
/// strings, numbers and booleans as JSON values)</description></item>
/// <item><term>no value (AMQP <c>void</c>)</term><description>the empty string</description></item>
/// </list>
/// </remarks>
public static class HeaderText
{
    /// <summary>The prefix of bytes given in base 64.</summary>
    public const string Base64Prefix = "base64:";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The string form of a native header value.</summary>
    /// <param name="value">The value as the broker's client library gives it.</param>
    /// <returns>The string form; see the remarks of <see cref="HeaderText"/>.</returns>
    public static string Format(object? value) => value switch
    {
        null => string.Empty,
        string text => text,
        byte[] bytes => Text(bytes),
        ReadOnlyMemory<byte> memory => Text(memory.Span),
        bool flag => flag ? "true" : "false",
        DateTimeOffset time => Timestamp(time),
        DateTime time => Timestamp(new DateTimeOffset(DateTime.SpecifyKind(time, time.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : time.Kind))),
        float number => number.ToString("R", CultureInfo.InvariantCulture),
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        IFormattable number when IsNumber(number) => number.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items when value is IDictionary or IEnumerable<KeyValuePair<string, object?>> or IList => Json(items),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    /// <summary>The text of bytes that are valid UTF-8, else <c>base64:</c> and their base-64 form.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The string form.</returns>
    public static string Text(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Base64Prefix + Convert.ToBase64String(bytes);
        }
    }

    private static string Timestamp(DateTimeOffset time) =>
        time.ToUniversalTime().ToString(time.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static bool IsNumber(object value) =>
        value is sbyte or byte or short or ushort or int or uint or long or ulong or decimal or Int128 or UInt128;

    private static string Json(IEnumerable items)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteJson(writer, items);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteJson(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case byte[] bytes:
                writer.WriteStringValue(Text(bytes));
                break;
            case IDictionary dictionary:
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    writer.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty);
                    WriteJson(writer, entry.Value);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                writer.WriteStartObject();
                foreach (var (name, item) in pairs)
                {
                    writer.WritePropertyName(name);
                    WriteJson(writer, item);
                }

                writer.WriteEndObject();
                break;
            case IList list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    WriteJson(writer, item);
                }

                writer.WriteEndArray();
                break;
            case float or double:
                var real = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsFinite(real))
                {
                    writer.WriteNumberValue(real);
                }
                else
                {
                    writer.WriteStringValue(Format(value));
                }

                break;
            case IFormattable number when IsNumber(number):
                writer.WriteRawValue(number.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                writer.WriteStringValue(Format(value));
                break;
        }
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Messaging.Adapters;

/// <summary>
/// Serializes messages as JSON with System.Text.Json; works with source-generated contexts for trimming and AOT.
/// </summary>
public sealed class SystemTextJsonMessageSerializer : IMessageSerializer
{
    private readonly JsonSerializerOptions _options;

    /// <summary>Creates the serializer with the web defaults (camelCase names, case-insensitive reads).</summary>
    public SystemTextJsonMessageSerializer()
        : this(new JsonSerializerOptions(JsonSerializerDefaults.Web))
    {
    }

    /// <summary>Creates the serializer with the given options.</summary>
    /// <param name="options">The options; set <see cref="JsonSerializerOptions.TypeInfoResolver"/> to a source-generated context where reflection is not wanted.</param>
    public SystemTextJsonMessageSerializer(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.MakeReadOnly(populateMissingResolver: options.TypeInfoResolver is null);
        _options = options;
    }

    /// <summary>Creates the serializer from a source-generated context, without reflection.</summary>
    /// <param name="context">The source-generated context that knows the message types.</param>
    public SystemTextJsonMessageSerializer(JsonSerializerContext context)
        : this(new JsonSerializerOptions(context?.Options ?? throw new ArgumentNullException(nameof(context))) { TypeInfoResolver = context })
    {
    }

    /// <inheritdoc />
    /// <value>Always <c>application/json</c>.</value>
    public string ContentType => "application/json";

    /// <inheritdoc />
    public byte[] Serialize(object message, Type type) => JsonSerializer.SerializeToUtf8Bytes(message, GetTypeInfo(type));

    /// <inheritdoc />
    public object? Deserialize(ReadOnlySpan<byte> body, Type type) => JsonSerializer.Deserialize(body, GetTypeInfo(type));

    private JsonTypeInfo GetTypeInfo(Type type) => _options.GetTypeInfo(type);
}

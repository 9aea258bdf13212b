namespace Messaging.Adapters;

/// <summary>
/// The envelope headers that carry the CloudEvents attributes <see cref="Envelope"/> has no property for:
/// <c>source</c>, <c>subject</c>, <c>dataschema</c> and every extension attribute, each as <c>ce-&lt;attribute&gt;</c>.
/// </summary>
/// <remarks>
/// <para>A transport reads a message's CloudEvents attributes (in whatever form its broker's protocol binding writes
/// them: <c>cloudEvents:</c> or <c>cloudEvents_</c> application properties on AMQP, <c>ce_</c> headers on Kafka, a
/// structured-mode JSON body) and hands those the envelope has no property for to the handler as these headers, so a
/// handler reads <c>message.Envelope.Headers[CloudEventHeaders.Source]</c> on every transport.</para>
/// <para>Going out, each transport writes these headers back in its binding's form, so a retried, dead-lettered or
/// redriven message keeps the <c>source</c>, <c>subject</c> and extensions it came with. An envelope without
/// <see cref="Source"/> gets the transport's own source (the application's name).</para>
/// <para>The envelope's own properties map to the other attributes: <see cref="Envelope.Id"/> to <c>id</c>,
/// <see cref="Envelope.Type"/> to <c>type</c>, <see cref="Envelope.Timestamp"/> to <c>time</c>,
/// <see cref="Envelope.ContentType"/> to <c>datacontenttype</c>, <see cref="Envelope.Key"/> to the
/// <c>partitionkey</c> extension and <see cref="Envelope.CausationId"/> to the <c>causationid</c> extension.</para>
/// </remarks>
public static class CloudEventHeaders
{
    /// <summary>The prefix of every such header.</summary>
    public const string Prefix = "ce-";

    /// <summary>The <c>source</c> attribute: a URI-reference naming who produced the event.</summary>
    public const string Source = "ce-source";

    /// <summary>The <c>subject</c> attribute.</summary>
    public const string Subject = "ce-subject";

    /// <summary>The <c>dataschema</c> attribute.</summary>
    public const string DataSchema = "ce-dataschema";

    /// <summary>The header that carries a CloudEvents attribute.</summary>
    /// <param name="attribute">The attribute's name, for example <c>subject</c> or an extension's name.</param>
    /// <returns><c>ce-</c> and the name.</returns>
    public static string For(string attribute)
    {
        ArgumentException.ThrowIfNullOrEmpty(attribute);
        return Prefix + attribute;
    }

    /// <summary>The attribute a header carries, or <see langword="null"/> when it is not such a header.</summary>
    /// <param name="header">A header name.</param>
    /// <returns>The attribute's name.</returns>
    public static string? AttributeOf(string header) =>
        header is not null && header.Length > Prefix.Length && header.StartsWith(Prefix, StringComparison.Ordinal) ? header[Prefix.Length..] : null;
}

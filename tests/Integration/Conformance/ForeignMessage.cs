namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// A message as a publisher that does not use this library sends it: a body, the few properties brokers carry natively
/// and headers with values of native types. <see cref="TransportFixture.SendForeignAsync"/> puts it on the broker
/// through the broker's own client, in the broker's own terms.
/// </summary>
/// <remarks>
/// <para>Header values may be <see cref="string"/>, <see cref="int"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="bool"/>, <see cref="DateTimeOffset"/>, <see cref="byte"/>[], a list of such values or a map of them. A
/// fixture writes each in its broker's closest native type (AMQP field-table types; Kafka header bytes; SQS
/// <c>String</c>/<c>Number</c>/<c>Binary</c> attributes) and says in its documentation what it cannot carry.</para>
/// <para>CloudEvents attributes in binary mode are headers named with one of the fixture's
/// <see cref="TransportFixture.CloudEventsHeaderPrefixes"/> (AMQP <c>cloudEvents:</c> or <c>cloudEvents_</c>, Kafka
/// <c>ce_</c>); structured mode is a JSON body with <see cref="ContentType"/> <c>application/cloudevents+json</c>.</para>
/// </remarks>
/// <param name="Body">The body.</param>
public sealed record ForeignMessage(ReadOnlyMemory<byte> Body)
{
    /// <summary>The content type (AMQP <c>content-type</c>; Kafka and SQS: a <c>content-type</c> header or attribute).</summary>
    public string? ContentType { get; init; }

    /// <summary>The broker's native message id where it has one (AMQP <c>message-id</c>); <see langword="null"/>: none.</summary>
    public string? MessageId { get; init; }

    /// <summary>The broker's native type where it has one (AMQP <c>type</c>); <see langword="null"/>: none.</summary>
    public string? Type { get; init; }

    /// <summary>The broker's native timestamp where it has one (AMQP <c>timestamp</c>); <see langword="null"/>: none.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>Headers (AMQP headers, Kafka headers, SQS message attributes).</summary>
    public IReadOnlyDictionary<string, object?> Headers { get; init; } = new Dictionary<string, object?>();
}

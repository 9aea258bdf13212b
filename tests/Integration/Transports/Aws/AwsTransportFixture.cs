using System.Globalization;
using System.Text;
using Amazon.SQS.Model;
using Messaging.Adapters.Aws;
using Messaging.Adapters.Transport;
using Messaging.Adapters.Integration.Conformance;

namespace Messaging.Adapters.Integration.Transports.Aws;

/// <summary>
/// What both AWS fixtures share: the endpoint in <c>AWS_ENDPOINT_URL</c>, by default the local emulator that
/// <c>eng/brokers/aws.sh</c> installs and starts, reached through the standard AWS variables (region, credentials) so
/// the same suite runs against real AWS with <c>MESSAGING_AWS_REAL=true</c>; the harness knobs; the plain SQS send of
/// foreign messages. An endpoint that cannot be reached fails the fixture (and so every test), naming the address and
/// the variable; it never skips.
/// </summary>
public abstract class AwsTransportFixture : TransportFixture
{
    static AwsTransportFixture() => AwsTestEnvironment.Apply();

    /// <inheritdoc />
    public override string EndpointDescription => AwsTestEnvironment.Description;

    /// <inheritdoc />
    /// <value>The emulator answers at once, but a delayed retry waits at least one second (the visibility timeout
    /// counts whole seconds) and a long poll's messages can take a moment to come back: 30 seconds.</value>
    public override TimeSpan Timeout => TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    /// <value>SQS message attributes named <c>ce-&lt;attribute&gt;</c>.</value>
    public override IReadOnlyList<string> CloudEventsHeaderPrefixes { get; } = ["ce-"];

    /// <inheritdoc />
    public override string? ReceiveOperationName => "ReceiveMessage";

    /// <inheritdoc />
    /// <remarks>A plain <c>SendMessage</c> with the AWS SDK's own client: strings as <c>String</c> attributes, integers
    /// and doubles as <c>Number</c>, byte arrays as <c>Binary</c>; SQS has no boolean, time, list or map attribute, so
    /// those travel as <c>String</c> in their documented string form, and no native message id, type or timestamp
    /// property (the content type is a <c>content-type</c> attribute). On a FIFO queue with a message group and a
    /// deduplication id of its own, as any FIFO producer must send.</remarks>
    public override async Task SendForeignAsync(string queue, ForeignMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var aws = (AwsTransport)Transport;
        var fifo = Options.Fifo;
        var name = queue.Replace('.', '-') + (fifo ? ".fifo" : "");
        var url = (await aws.Sqs.GetQueueUrlAsync(new GetQueueUrlRequest { QueueName = name }, cancellationToken)).QueueUrl;
        var attributes = message.Headers.ToDictionary(h => h.Key, h => Attribute(h.Value), StringComparer.Ordinal);
        if (message.ContentType is { } contentType)
        {
            attributes["content-type"] = new MessageAttributeValue { DataType = "String", StringValue = contentType };
        }

        await aws.Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = url,
            MessageBody = Encoding.UTF8.GetString(message.Body.Span),
            MessageAttributes = attributes.Count == 0 ? null : attributes,
            MessageGroupId = fifo ? "foreign" : null,
            MessageDeduplicationId = fifo ? Guid.NewGuid().ToString("N") : null,
        }, cancellationToken);
    }

    /// <summary>The transport's options: a new instance each time.</summary>
    protected virtual AwsTransportOptions Options => new()
    {
        // Short enough that a consumer that was stopped or crashed hands its messages back quickly in the tests.
        VisibilityTimeout = TimeSpan.FromSeconds(10),
    };

    /// <inheritdoc />
    protected override Task<ITransport> CreateTransportAsync(CancellationToken cancellationToken) =>
        Task.FromResult<ITransport>(new AwsTransport(Options));

    private static MessageAttributeValue Attribute(object? value) => value switch
    {
        string text => new MessageAttributeValue { DataType = "String", StringValue = text },
        int or long or double => new MessageAttributeValue { DataType = "Number", StringValue = Convert.ToString(value, CultureInfo.InvariantCulture) },
        byte[] bytes => new MessageAttributeValue { DataType = "Binary", BinaryValue = new MemoryStream(bytes) },
        _ => new MessageAttributeValue { DataType = "String", StringValue = HeaderText.Format(value) },
    };
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;
using Amazon;
using Amazon.Runtime;

namespace Messaging.Adapters.Aws.Clients;

/// <summary>
/// The SNS operations the transport needs, over SNS's Query protocol (<c>Version=2010-03-31</c>, form-encoded
/// parameters, XML answers), signed with AWSSDK.Core's public SigV4 signer.
/// </summary>
/// <remarks>
/// <para>Parameters are named and encoded as the official AWS SDKs send them (the tests compare them, parameter for
/// parameter, with <c>@aws-sdk/client-sns</c>). Throttling answers, 5xx answers and lost connections are retried up
/// to <c>maxErrorRetry</c> times with jittered exponential backoff; other errors become
/// <see cref="AwsServiceException"/> (<see cref="AwsDestinationNotFoundException"/> for <c>NotFound</c>) naming the
/// topic.</para>
/// <para>Thread safe; dispose it with the transport.</para>
/// </remarks>
public sealed class SnsQueryClient : ISnsClient, IDisposable
{
    private const string ApiVersion = "2010-03-31";
    private static readonly MediaTypeHeaderValue FormContentType = new("application/x-www-form-urlencoded");

    private static readonly IReadOnlySet<string> NotFoundCodes = new HashSet<string>(StringComparer.Ordinal) { "NotFound", "NotFoundException", "ResourceNotFound" };

    private readonly SignedHttpSender _sender;

    /// <summary>Creates the client.</summary>
    /// <param name="credentials">The credentials requests are signed with (resolved again by the signer when they expire).</param>
    /// <param name="region">The region requests are signed for.</param>
    /// <param name="endpoint">SNS's endpoint, for example <c>https://sns.eu-west-1.amazonaws.com/</c>.</param>
    /// <param name="maxErrorRetry">How many times a transient failure is retried.</param>
    /// <param name="innerHandler">The HTTP handler under the signer; <see langword="null"/> for a new <see cref="SocketsHttpHandler"/>.</param>
    public SnsQueryClient(AWSCredentials credentials, RegionEndpoint region, Uri endpoint, int maxErrorRetry = 4, HttpMessageHandler? innerHandler = null)
    {
        _sender = new SignedHttpSender(credentials, region, "sns", "SNS", endpoint, maxErrorRetry, innerHandler);
    }

    /// <summary>The endpoint requests go to.</summary>
    public Uri Endpoint => _sender.Endpoint;

    /// <inheritdoc />
    public async Task<string> CreateTopicAsync(string name, IReadOnlyDictionary<string, string> attributes, string destination, CancellationToken cancellationToken)
    {
        var form = Form("CreateTopic");
        form.Add(("Name", name));
        AddMap(form, "Attributes", attributes);
        var result = await SendAsync("CreateTopic", form, destination, cancellationToken).ConfigureAwait(false);
        return Required(result, "TopicArn");
    }

    /// <inheritdoc />
    public async Task DeleteTopicAsync(string topicArn, string destination, CancellationToken cancellationToken)
    {
        var form = Form("DeleteTopic");
        form.Add(("TopicArn", topicArn));
        await SendAsync("DeleteTopic", form, destination, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<string> SubscribeAsync(string topicArn, string protocol, string endpoint, IReadOnlyDictionary<string, string> attributes, string destination, CancellationToken cancellationToken)
    {
        var form = Form("Subscribe");
        form.Add(("TopicArn", topicArn));
        form.Add(("Protocol", protocol));
        form.Add(("Endpoint", endpoint));
        AddMap(form, "Attributes", attributes);
        form.Add(("ReturnSubscriptionArn", "true"));
        var result = await SendAsync("Subscribe", form, destination, cancellationToken).ConfigureAwait(false);
        return Required(result, "SubscriptionArn");
    }

    /// <inheritdoc />
    public async Task SetSubscriptionAttributeAsync(string subscriptionArn, string name, string value, string destination, CancellationToken cancellationToken)
    {
        var form = Form("SetSubscriptionAttributes");
        form.Add(("SubscriptionArn", subscriptionArn));
        form.Add(("AttributeName", name));
        form.Add(("AttributeValue", value));
        await SendAsync("SetSubscriptionAttributes", form, destination, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, string>> GetSubscriptionAttributesAsync(string subscriptionArn, string destination, CancellationToken cancellationToken)
    {
        var form = Form("GetSubscriptionAttributes");
        form.Add(("SubscriptionArn", subscriptionArn));
        var result = await SendAsync("GetSubscriptionAttributes", form, destination, cancellationToken).ConfigureAwait(false);
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in result.Descendants().Where(e => e.Name.LocalName == "entry"))
        {
            var key = Child(entry, "key");
            if (key is not null)
            {
                attributes[key] = Child(entry, "value") ?? "";
            }
        }

        return attributes;
    }

    /// <inheritdoc />
    public async Task UnsubscribeAsync(string subscriptionArn, string destination, CancellationToken cancellationToken)
    {
        var form = Form("Unsubscribe");
        form.Add(("SubscriptionArn", subscriptionArn));
        await SendAsync("Unsubscribe", form, destination, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SnsSubscription>> ListSubscriptionsByTopicAsync(string topicArn, string destination, CancellationToken cancellationToken)
    {
        var subscriptions = new List<SnsSubscription>();
        string? next = null;
        do
        {
            var form = Form("ListSubscriptionsByTopic");
            form.Add(("TopicArn", topicArn));
            if (next is not null)
            {
                form.Add(("NextToken", next));
            }

            var result = await SendAsync("ListSubscriptionsByTopic", form, destination, cancellationToken).ConfigureAwait(false);
            foreach (var member in result.Descendants().Where(e => e.Name.LocalName == "member"))
            {
                subscriptions.Add(new SnsSubscription(Child(member, "SubscriptionArn") ?? "", Child(member, "Protocol") ?? "", Child(member, "Endpoint") ?? ""));
            }

            next = Child(result, "NextToken") is { Length: > 0 } token ? token : null;
        }
        while (next is not null);
        return subscriptions;
    }

    /// <inheritdoc />
    public async Task<string> PublishAsync(string topicArn, SnsMessage message, string destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var form = Form("Publish");
        form.Add(("TopicArn", topicArn));
        AddMessage(form, "", message);
        var result = await SendAsync("Publish", form, destination, cancellationToken).ConfigureAwait(false);
        return Required(result, "MessageId");
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SnsBatchFailure>> PublishBatchAsync(string topicArn, IReadOnlyList<SnsMessage> messages, string destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var form = Form("PublishBatch");
        form.Add(("TopicArn", topicArn));
        for (var i = 0; i < messages.Count; i++)
        {
            var prefix = $"PublishBatchRequestEntries.member.{(i + 1).ToString(CultureInfo.InvariantCulture)}.";
            form.Add((prefix + "Id", i.ToString(CultureInfo.InvariantCulture)));
            AddMessage(form, prefix, messages[i]);
        }

        var result = await SendAsync("PublishBatch", form, destination, cancellationToken).ConfigureAwait(false);
        var failures = new List<SnsBatchFailure>();
        foreach (var failed in result.Descendants().Where(e => e.Name.LocalName == "Failed").SelectMany(f => f.Elements().Where(e => e.Name.LocalName == "member")))
        {
            if (int.TryParse(Child(failed, "Id"), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                failures.Add(new SnsBatchFailure(index, Child(failed, "Code") ?? "", Child(failed, "Message") ?? "", string.Equals(Child(failed, "SenderFault"), "true", StringComparison.OrdinalIgnoreCase)));
            }
        }

        return failures;
    }

    /// <summary>Releases the HTTP client.</summary>
    public void Dispose() => _sender.Dispose();

    /// <summary>The form body of a request, encoded as the AWS SDKs encode it (RFC 3986: space as <c>%20</c>).</summary>
    internal static string Encode(IEnumerable<(string Name, string Value)> form) =>
        string.Join('&', form.Select(p => Uri.EscapeDataString(p.Name) + "=" + Uri.EscapeDataString(p.Value)));

    private static List<(string Name, string Value)> Form(string action) => [("Action", action), ("Version", ApiVersion)];

    private static void AddMap(List<(string Name, string Value)> form, string name, IReadOnlyDictionary<string, string> map)
    {
        var i = 0;
        foreach (var (key, value) in map)
        {
            i++;
            var prefix = $"{name}.entry.{i.ToString(CultureInfo.InvariantCulture)}.";
            form.Add((prefix + "key", key));
            form.Add((prefix + "value", value));
        }
    }

    private static void AddMessage(List<(string Name, string Value)> form, string prefix, SnsMessage message)
    {
        form.Add((prefix + "Message", message.Body));
        for (var i = 0; i < message.Attributes.Count; i++)
        {
            var entry = $"{prefix}MessageAttributes.entry.{(i + 1).ToString(CultureInfo.InvariantCulture)}.";
            form.Add((entry + "Name", message.Attributes[i].Key));
            form.Add((entry + "Value.DataType", "String"));
            form.Add((entry + "Value.StringValue", message.Attributes[i].Value));
        }

        if (message.DeduplicationId is not null)
        {
            form.Add((prefix + "MessageDeduplicationId", message.DeduplicationId));
        }

        if (message.GroupId is not null)
        {
            form.Add((prefix + "MessageGroupId", message.GroupId));
        }
    }

    private async Task<XElement> SendAsync(string operation, List<(string Name, string Value)> form, string destination, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(Encode(form));
        var text = await _sender.SendAsync(operation, destination, () => new HttpRequestMessage(HttpMethod.Post, _sender.Endpoint)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = FormContentType } },
        }, ParseError, NotFoundCodes, cancellationToken).ConfigureAwait(false);
        return ParseResult(operation, text, destination);
    }

    private static XElement ParseResult(string operation, string text, string destination)
    {
        try
        {
            var document = XDocument.Parse(text);
            return document.Root!.Elements().FirstOrDefault(e => e.Name.LocalName == operation + "Result") ?? document.Root;
        }
        catch (System.Xml.XmlException ex)
        {
            throw new AwsServiceException("SNS", operation, destination, "MalformedResponse", HttpStatusCode.OK, "the answer is not XML: " + ex.Message, isTransient: false, ex);
        }
    }

    private static (string Code, string Message) ParseError(string text)
    {
        try
        {
            var error = XDocument.Parse(text).Descendants().FirstOrDefault(e => e.Name.LocalName == "Error");
            return error is null ? ("", Truncate(text)) : (Child(error, "Code") ?? "", Child(error, "Message") ?? "");
        }
        catch (System.Xml.XmlException)
        {
            return ("", Truncate(text));
        }
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";

    private static string? Child(XElement element, string name) => element.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    private static string Required(XElement result, string name) =>
        result.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value
        ?? throw new AwsServiceException("SNS", result.Name.LocalName, "", "MalformedResponse", HttpStatusCode.OK, $"the answer has no {name}", isTransient: false);
}

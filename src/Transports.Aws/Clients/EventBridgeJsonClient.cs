using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon;
using Amazon.Runtime;

namespace Messaging.Adapters.Aws.Clients;

/// <summary>
/// The EventBridge operations an event-bus topic needs, over EventBridge's JSON 1.1 protocol (<c>X-Amz-Target:
/// AWSEvents.&lt;Operation&gt;</c>), signed with AWSSDK.Core's SigV4 signer; requests are the official SDKs' for the
/// same input (compared with <c>@aws-sdk/client-eventbridge</c> in the tests).
/// </summary>
/// <remarks>Throttling, 429 and 5xx answers and lost connections are retried with jittered backoff. Thread safe.</remarks>
public sealed class EventBridgeJsonClient : IEventBridgeClient, IDisposable
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/x-amz-json-1.1");
    private static readonly IReadOnlySet<string> NotFoundCodes = new HashSet<string>(StringComparer.Ordinal) { "ResourceNotFoundException" };

    private readonly SignedHttpSender _sender;

    /// <summary>Creates the client.</summary>
    /// <param name="credentials">The credentials requests are signed with.</param>
    /// <param name="region">The region requests are signed for.</param>
    /// <param name="endpoint">EventBridge's endpoint, for example <c>https://events.eu-west-1.amazonaws.com/</c>.</param>
    /// <param name="maxErrorRetry">How many times a transient failure is retried.</param>
    /// <param name="innerHandler">The HTTP handler under the signer; <see langword="null"/> for a new one.</param>
    public EventBridgeJsonClient(AWSCredentials credentials, RegionEndpoint region, Uri endpoint, int maxErrorRetry = 4, HttpMessageHandler? innerHandler = null) =>
        _sender = new SignedHttpSender(credentials, region, "events", "EventBridge", endpoint, maxErrorRetry, innerHandler);

    /// <inheritdoc />
    public async Task<IReadOnlyList<EventBridgeFailure>> PutEventsAsync(IReadOnlyList<EventBridgeEntry> entries, string destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = new JsonArray();
        foreach (var entry in entries)
        {
            var item = new JsonObject();
            if (entry.Time is { } time)
            {
                // Epoch seconds, as the SDKs serialize timestamps in JSON 1.1.
                item["Time"] = time.ToUnixTimeMilliseconds() / 1000.0;
            }

            item["Source"] = entry.Source;
            item["DetailType"] = entry.DetailType;
            item["Detail"] = entry.Detail;
            item["EventBusName"] = entry.EventBusName;
            list.Add(item);
        }

        var result = await SendAsync("PutEvents", new JsonObject { ["Entries"] = list }, destination, cancellationToken).ConfigureAwait(false);
        return Failures(result, "Entries", "ErrorCode", "ErrorMessage");
    }

    /// <inheritdoc />
    public async Task<string> PutRuleAsync(string name, string eventBusName, string eventPattern, string destination, CancellationToken cancellationToken)
    {
        var result = await SendAsync("PutRule", new JsonObject { ["Name"] = name, ["EventPattern"] = eventPattern, ["State"] = "ENABLED", ["EventBusName"] = eventBusName }, destination, cancellationToken).ConfigureAwait(false);
        return result["RuleArn"]?.GetValue<string>() ?? "";
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EventBridgeFailure>> PutTargetAsync(string rule, string eventBusName, string targetId, string targetArn, string? inputPath, string destination, CancellationToken cancellationToken)
    {
        var target = new JsonObject { ["Id"] = targetId, ["Arn"] = targetArn };
        if (inputPath is not null)
        {
            target["InputPath"] = inputPath;
        }

        var result = await SendAsync("PutTargets", new JsonObject { ["Rule"] = rule, ["EventBusName"] = eventBusName, ["Targets"] = new JsonArray(target) }, destination, cancellationToken).ConfigureAwait(false);
        return Failures(result, "FailedEntries", "ErrorCode", "ErrorMessage", positional: false);
    }

    /// <inheritdoc />
    public async Task RemoveTargetsAsync(string rule, string eventBusName, IReadOnlyList<string> targetIds, string destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targetIds);
        await SendAsync("RemoveTargets", new JsonObject { ["Rule"] = rule, ["EventBusName"] = eventBusName, ["Ids"] = new JsonArray([.. targetIds.Select(id => JsonValue.Create(id))]) }, destination, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DeleteRuleAsync(string name, string eventBusName, string destination, CancellationToken cancellationToken) =>
        await SendAsync("DeleteRule", new JsonObject { ["Name"] = name, ["EventBusName"] = eventBusName }, destination, cancellationToken).ConfigureAwait(false);

    /// <summary>Releases the HTTP client.</summary>
    public void Dispose() => _sender.Dispose();

    private async Task<JsonObject> SendAsync(string operation, JsonObject input, string destination, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(input.ToJsonString());
        var text = await _sender.SendAsync(operation, destination, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, _sender.Endpoint) { Content = new ByteArrayContent(body) { Headers = { ContentType = JsonContentType } } };
            request.Headers.TryAddWithoutValidation("X-Amz-Target", "AWSEvents." + operation);
            return request;
        }, ParseError, NotFoundCodes, cancellationToken).ConfigureAwait(false);
        try
        {
            return text.Length == 0 ? [] : JsonNode.Parse(text) as JsonObject ?? [];
        }
        catch (JsonException ex)
        {
            throw new AwsServiceException("EventBridge", operation, destination, "MalformedResponse", System.Net.HttpStatusCode.OK, "the answer is not JSON: " + ex.Message, isTransient: false, ex);
        }
    }

    /// <summary>The failed entries of a batch answer: by position (<c>PutEvents</c> answers one entry per event, failed
    /// ones with an error code) or by the entry's own id.</summary>
    private static List<EventBridgeFailure> Failures(JsonObject result, string listName, string codeName, string messageName, bool positional = true)
    {
        var failures = new List<EventBridgeFailure>();
        if (result[listName] is not JsonArray entries)
        {
            return failures;
        }

        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i] is JsonObject entry && entry[codeName]?.GetValue<string>() is { Length: > 0 } code)
            {
                var index = positional ? i : int.TryParse(entry["TargetId"]?.GetValue<string>(), out var id) ? id : i;
                failures.Add(new EventBridgeFailure(index, code, entry[messageName]?.GetValue<string>() ?? ""));
            }
        }

        return failures;
    }

    /// <summary>AWS's JSON error: <c>{"__type":"namespace#Code","message":"..."}</c>.</summary>
    internal static (string Code, string Message) ParseError(string text)
    {
        try
        {
            if (JsonNode.Parse(text) is JsonObject error)
            {
                var type = error["__type"]?.GetValue<string>() ?? error["code"]?.GetValue<string>() ?? "";
                var message = (error["message"] ?? error["Message"])?.GetValue<string>() ?? "";
                return (type[(type.LastIndexOf('#') + 1)..], message);
            }
        }
        catch (JsonException)
        {
            // Not JSON: the text itself below.
        }

        return ("", text.Length <= 300 ? text : text[..300] + "…");
    }
}

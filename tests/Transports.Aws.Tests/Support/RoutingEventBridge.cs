using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Amazon.SQS;
using Messaging.Adapters.Aws.Clients;

namespace Messaging.Adapters.Aws.Tests.Support;

/// <summary>
/// EventBridge's routing, as documented, in the test process (no EventBridge emulator exists on any registry here):
/// keeps the rules the transport puts, and for each event put, hands every rule whose pattern matches
/// (<see cref="EventPatternSemantics"/>) the event's <c>InputPath</c> part, sent to the rule's SQS queue target on the
/// emulator. What it proves is the transport's side: the events it puts, the rules and targets it makes, and that its
/// consumers read what such rules deliver; EventBridge's own routing only real AWS proves.
/// </summary>
internal sealed class RoutingEventBridge(IAmazonSQS sqs) : IEventBridgeClient
{
    private readonly ConcurrentDictionary<string, Rule> _rules = new(StringComparer.Ordinal);

    public ConcurrentQueue<EventBridgeEntry> Events { get; } = new();

    public IReadOnlyDictionary<string, Rule> Rules => _rules;

    public async Task<IReadOnlyList<EventBridgeFailure>> PutEventsAsync(IReadOnlyList<EventBridgeEntry> entries, string destination, CancellationToken cancellationToken)
    {
        foreach (var entry in entries)
        {
            Events.Enqueue(entry);
            var @event = new JsonObject
            {
                ["version"] = "0",
                ["id"] = Guid.NewGuid().ToString(),
                ["detail-type"] = entry.DetailType,
                ["source"] = entry.Source,
                ["account"] = "000000000000",
                ["time"] = (entry.Time ?? DateTimeOffset.UtcNow).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                ["region"] = "us-east-1",
                ["resources"] = new JsonArray(),
                ["detail"] = JsonNode.Parse(entry.Detail),
            };
            foreach (var rule in _rules.Values.Where(r => r.Bus == entry.EventBusName && r.TargetArn is not null))
            {
                if (EventPatternSemantics.Matches((JsonObject)JsonNode.Parse(rule.Pattern)!, @event))
                {
                    var input = rule.InputPath == "$.detail" ? @event["detail"]!.ToJsonString() : @event.ToJsonString();
                    var queueUrl = (await sqs.GetQueueUrlAsync(rule.TargetArn!.Split(':')[^1], cancellationToken)).QueueUrl;
                    await sqs.SendMessageAsync(queueUrl, input, cancellationToken);
                }
            }
        }

        return [];
    }

    public Task<string> PutRuleAsync(string name, string eventBusName, string eventPattern, string destination, CancellationToken cancellationToken)
    {
        _rules.AddOrUpdate(name, _ => new Rule(eventBusName, eventPattern, null, null), (_, r) => r with { Pattern = eventPattern });
        return Task.FromResult($"arn:aws:events:us-east-1:000000000000:rule/{eventBusName}/{name}");
    }

    public Task<IReadOnlyList<EventBridgeFailure>> PutTargetAsync(string rule, string eventBusName, string targetId, string targetArn, string? inputPath, string destination, CancellationToken cancellationToken)
    {
        _rules[rule] = _rules[rule] with { TargetArn = targetArn, InputPath = inputPath };
        return Task.FromResult<IReadOnlyList<EventBridgeFailure>>([]);
    }

    public Task RemoveTargetsAsync(string rule, string eventBusName, IReadOnlyList<string> targetIds, string destination, CancellationToken cancellationToken)
    {
        if (!_rules.TryGetValue(rule, out var found))
        {
            throw new AwsDestinationNotFoundException("EventBridge", "RemoveTargets", destination, "ResourceNotFoundException", System.Net.HttpStatusCode.BadRequest, $"Rule {rule} does not exist.");
        }

        _rules[rule] = found with { TargetArn = null, InputPath = null };
        return Task.CompletedTask;
    }

    public Task DeleteRuleAsync(string name, string eventBusName, string destination, CancellationToken cancellationToken)
    {
        _rules.TryRemove(name, out _);
        return Task.CompletedTask;
    }

    internal sealed record Rule(string Bus, string Pattern, string? TargetArn, string? InputPath);
}

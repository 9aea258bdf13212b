using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Adapters.Aws.Clients;

namespace Messaging.Adapters.Aws.Topology;

/// <summary>
/// Creates, finds and deletes the SQS queues, SNS topics and subscriptions behind the library's names, and remembers
/// their URLs and ARNs so that sends and publishes ask only once.
/// </summary>
/// <remarks>Creating is idempotent on AWS's side (<c>CreateQueue</c> and <c>CreateTopic</c> with the same attributes
/// return the existing one), so concurrent first uses are harmless.</remarks>
internal sealed class TopologyProvisioner(IAmazonSQS sqs, ISnsClient sns, IEventBridgeClient? eventBridge, AwsTransportOptions options)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<QueueInfo>>> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _topics = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Topic, string Subscription), string> _subscriptions = new();

    /// <summary>The queue's URL, creating it (and its dead-letter queue) when <paramref name="create"/>.</summary>
    public async Task<QueueInfo> QueueAsync(string name, bool create, CancellationToken cancellationToken)
    {
        var lazy = _queues.GetOrAdd(name, n => new Lazy<Task<QueueInfo>>(() => create ? CreateQueueAsync(n) : FindQueueAsync(n)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _queues.TryRemove(new KeyValuePair<string, Lazy<Task<QueueInfo>>>(name, lazy));
            throw;
        }
    }

    /// <summary>The topic's ARN; SNS <c>CreateTopic</c> returns an existing topic's ARN, so this also finds it.</summary>
    public async Task<string> TopicAsync(string name, CancellationToken cancellationToken)
    {
        var lazy = _topics.GetOrAdd(name, n => new Lazy<Task<string>>(() => CreateTopicAsync(n)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _topics.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(name, lazy));
            throw;
        }
    }

    /// <summary>Creates the subscription queue, allows the topic to send to it, and subscribes it with raw delivery
    /// and the filter's policy; an existing subscription gets the new policy (the filter belongs to the subscription).</summary>
    public async Task<QueueInfo> EnsureSubscriptionAsync(string topic, string subscription, SubscriptionFilter? filter, CancellationToken cancellationToken)
    {
        if (eventBridge is not null)
        {
            return await EnsureRuleAsync(eventBridge, topic, subscription, filter, cancellationToken).ConfigureAwait(false);
        }

        var queueName = DestinationNames.SubscriptionQueue(topic, subscription);
        var described = $"subscription '{subscription}' of topic '{topic}'";
        var topicArn = await TopicAsync(topic, cancellationToken).ConfigureAwait(false);
        var queue = await QueueAsync(queueName, create: true, cancellationToken).ConfigureAwait(false);
        var policy = FilterPolicy.For(filter);
        if (_subscriptions.TryGetValue((topic, subscription), out var known) && known == (policy ?? ""))
        {
            return queue;
        }

        await SqsErrors.CallAsync("SetQueueAttributes", queueName, () => sqs.SetQueueAttributesAsync(new SetQueueAttributesRequest
        {
            QueueUrl = queue.Url,
            Attributes = new Dictionary<string, string> { ["Policy"] = AllowSender(queue.Arn, "sns.amazonaws.com", topicArn) },
        }, cancellationToken)).ConfigureAwait(false);

        var existing = (await sns.ListSubscriptionsByTopicAsync(topicArn, described, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(s => s.Protocol == "sqs" && s.Endpoint == queue.Arn);
        if (existing is null)
        {
            var attributes = new Dictionary<string, string>(StringComparer.Ordinal) { ["RawMessageDelivery"] = "true" };
            if (policy is not null)
            {
                attributes["FilterPolicy"] = policy;
            }

            await sns.SubscribeAsync(topicArn, "sqs", queue.Arn, attributes, described, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var current = await sns.GetSubscriptionAttributesAsync(existing.SubscriptionArn, described, cancellationToken).ConfigureAwait(false);
            if (!current.TryGetValue("RawMessageDelivery", out var raw) || !string.Equals(raw, "true", StringComparison.OrdinalIgnoreCase))
            {
                await sns.SetSubscriptionAttributeAsync(existing.SubscriptionArn, "RawMessageDelivery", "true", described, cancellationToken).ConfigureAwait(false);
            }

            current.TryGetValue("FilterPolicy", out var currentPolicy);
            if (!SamePolicy(currentPolicy, policy))
            {
                // An empty policy removes the filter: the subscription then takes every message.
                await sns.SetSubscriptionAttributeAsync(existing.SubscriptionArn, "FilterPolicy", policy ?? "", described, cancellationToken).ConfigureAwait(false);
            }
        }

        _subscriptions[(topic, subscription)] = policy ?? "";
        return queue;
    }

    /// <summary>Deletes a queue and its dead-letter queue; a missing one is no error.</summary>
    public async Task DeleteQueueAsync(string name, CancellationToken cancellationToken)
    {
        await DeleteOneQueueAsync(name, cancellationToken).ConfigureAwait(false);
        if (!IsDeadLetterQueue(name))
        {
            await DeleteOneQueueAsync(DestinationNames.DeadLetterQueue(name), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a subscription from its topic and deletes its queues; what is missing is no error.</summary>
    public async Task DeleteSubscriptionAsync(string topic, string subscription, CancellationToken cancellationToken)
    {
        var queueName = DestinationNames.SubscriptionQueue(topic, subscription);
        _subscriptions.TryRemove((topic, subscription), out _);
        if (eventBridge is not null)
        {
            await DeleteRuleAsync(eventBridge, options.EventBus!, topic, subscription, cancellationToken).ConfigureAwait(false);
            await DeleteQueueAsync(queueName, cancellationToken).ConfigureAwait(false);
            return;
        }

        var queue = await TryFindQueueAsync(queueName, cancellationToken).ConfigureAwait(false);

        // The topic's ARN is known, or follows from the queue's (same partition, region and account): looking it up
        // with CreateTopic would create a topic that may never have existed.
        var topicArn = KnownTopic(topic) ?? (queue is null ? null : TopicArnBeside(queue.Arn, topic));
        if (queue is not null && topicArn is not null)
        {
            var described = $"subscription '{subscription}' of topic '{topic}'";
            try
            {
                foreach (var existing in (await sns.ListSubscriptionsByTopicAsync(topicArn, described, cancellationToken).ConfigureAwait(false)).Where(s => s.Endpoint == queue.Arn))
                {
                    await sns.UnsubscribeAsync(existing.SubscriptionArn, described, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (AwsDestinationNotFoundException)
            {
                // The topic went first: its subscriptions went with it.
            }
        }

        await DeleteQueueAsync(queueName, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a topic (its subscriptions go with it; their queues stay until deleted themselves).</summary>
    public async Task DeleteTopicAsync(string topic, CancellationToken cancellationToken)
    {
        if (eventBridge is not null)
        {
            // On a bus a topic is a name inside events: nothing to delete.
            return;
        }

        var arn = await TryFindTopicAsync(topic, cancellationToken).ConfigureAwait(false);
        _topics.TryRemove(topic, out _);
        foreach (var key in _subscriptions.Keys.Where(k => k.Topic == topic))
        {
            _subscriptions.TryRemove(key, out _);
        }

        if (arn is not null)
        {
            try
            {
                await sns.DeleteTopicAsync(arn, topic, cancellationToken).ConfigureAwait(false);
            }
            catch (AwsDestinationNotFoundException)
            {
                // Already gone.
            }
        }
    }

    /// <summary>Refuses a FIFO topic on an event bus: EventBridge keeps no order per key.</summary>
    public static void EnsureNotFifoOnBus(string topic)
    {
        if (AwsNames.IsFifo(topic))
        {
            throw new ArgumentException($"Topic '{topic}' is a FIFO name, but topics are on an EventBridge bus (Messaging:Aws:EventBus), which keeps no order: use an SNS topic for FIFO.", nameof(topic));
        }
    }

    /// <summary>The rule of a subscription on the bus: named after the subscription's queue (EventBridge allows 64
    /// characters: a longer name is cut with a hash as queue names are).</summary>
    internal static string RuleName(string topic, string subscription)
    {
        var name = AwsNames.Physical(DestinationNames.SubscriptionQueue(topic, subscription));
        return name.Length <= 64 ? name : name[..55] + "-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..8];
    }

    /// <summary>Creates the subscription's queue, a rule on the bus with the filter's pattern, the queue as its target
    /// (the event's detail only), and a queue policy letting that rule send; an existing rule gets the new pattern.</summary>
    private async Task<QueueInfo> EnsureRuleAsync(IEventBridgeClient events, string topic, string subscription, SubscriptionFilter? filter, CancellationToken cancellationToken)
    {
        EnsureNotFifoOnBus(topic);
        var queueName = DestinationNames.SubscriptionQueue(topic, subscription);
        var described = $"subscription '{subscription}' of topic '{topic}'";
        var queue = await QueueAsync(queueName, create: true, cancellationToken).ConfigureAwait(false);
        var pattern = EventBridgeEvents.Pattern(topic, filter, options.EventSource);
        if (_subscriptions.TryGetValue((topic, subscription), out var known) && known == pattern)
        {
            return queue;
        }

        var rule = RuleName(topic, subscription);
        var bus = options.EventBus!;
        var ruleArn = await events.PutRuleAsync(rule, bus, pattern, described, cancellationToken).ConfigureAwait(false);
        await SqsErrors.CallAsync("SetQueueAttributes", queueName, () => sqs.SetQueueAttributesAsync(new SetQueueAttributesRequest
        {
            QueueUrl = queue.Url,
            Attributes = new Dictionary<string, string> { ["Policy"] = AllowSender(queue.Arn, "events.amazonaws.com", ruleArn) },
        }, cancellationToken)).ConfigureAwait(false);
        if (await events.PutTargetAsync(rule, bus, "queue", queue.Arn, "$.detail", described, cancellationToken).ConfigureAwait(false) is [var failed, ..])
        {
            throw new AwsServiceException("EventBridge", "PutTargets", described, failed.Code, System.Net.HttpStatusCode.OK, failed.Message, isTransient: false);
        }

        _subscriptions[(topic, subscription)] = pattern;
        return queue;
    }

    private static async Task DeleteRuleAsync(IEventBridgeClient events, string bus, string topic, string subscription, CancellationToken cancellationToken)
    {
        var rule = RuleName(topic, subscription);
        var described = $"subscription '{subscription}' of topic '{topic}'";
        try
        {
            await events.RemoveTargetsAsync(rule, bus, ["queue"], described, cancellationToken).ConfigureAwait(false);
        }
        catch (AwsDestinationNotFoundException)
        {
            // No such rule: nothing to remove.
        }

        try
        {
            await events.DeleteRuleAsync(rule, bus, described, cancellationToken).ConfigureAwait(false);
        }
        catch (AwsDestinationNotFoundException)
        {
            // Already gone.
        }
    }

    /// <summary>Forgets a topic's ARN, after SNS said it no longer exists, so that the next use creates it again.</summary>
    public void ForgetTopic(string topic) => _topics.TryRemove(topic, out _);

    /// <summary>Forgets a queue's URL, after SQS said it no longer exists, so that the next use creates or finds it again.</summary>
    public void Forget(string queue) => _queues.TryRemove(queue, out _);

    private static bool IsDeadLetterQueue(string name) => name.EndsWith(DestinationNames.DeadLetterSuffix, StringComparison.Ordinal);

    private async Task<QueueInfo> CreateQueueAsync(string name)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MaximumMessageSize"] = options.MaxMessageSize.ToString(CultureInfo.InvariantCulture),
            ["VisibilityTimeout"] = ((int)Math.Ceiling(options.VisibilityTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
        };
        if (options.IsFifo(name))
        {
            attributes["FifoQueue"] = "true";
        }

        if (!IsDeadLetterQueue(name))
        {
            var deadLetter = await QueueAsync(DestinationNames.DeadLetterQueue(name), create: true, CancellationToken.None).ConfigureAwait(false);
            attributes["RedrivePolicy"] = new JsonObject
            {
                ["deadLetterTargetArn"] = deadLetter.Arn,
                ["maxReceiveCount"] = options.MaxReceiveCount,
            }.ToJsonString();
        }

        var physical = Physical(name);
        CreateQueueResponse created;
        try
        {
            created = await SqsErrors.CallAsync("CreateQueue", name, () => sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = physical, Attributes = attributes })).ConfigureAwait(false);
        }
        catch (AwsServiceException ex) when (ex.ErrorCode is "QueueAlreadyExists" or "QueueNameExists" or "AWS.SimpleQueueService.QueueNameExists")
        {
            throw new TopologyConflictException(physical, "an SQS queue with other attributes", string.Join(", ", attributes.Select(a => $"{a.Key}={a.Value}")), ex);
        }

        return new QueueInfo(name, created.QueueUrl, await ArnOfAsync(name, created.QueueUrl).ConfigureAwait(false), options.IsFifo(name));
    }

    private async Task<QueueInfo> FindQueueAsync(string name) =>
        await TryFindQueueAsync(name, CancellationToken.None).ConfigureAwait(false)
        ?? throw new AwsDestinationNotFoundException("SQS", "GetQueueUrl", name, "AWS.SimpleQueueService.NonExistentQueue", System.Net.HttpStatusCode.BadRequest, $"SQS has no queue '{Physical(name)}' (Messaging:Aws:ProvisionOnFirstUse is off: create it with ITopology.EnsureAsync).");

    /// <summary>The queue's URL, or <see langword="null"/> when SQS has no such queue; creates nothing.</summary>
    public async Task<QueueInfo?> TryFindQueueAsync(string name, CancellationToken cancellationToken)
    {
        if (_queues.TryGetValue(name, out var known) && known.IsValueCreated && known.Value.IsCompletedSuccessfully)
        {
            return known.Value.Result;
        }

        try
        {
            var found = await SqsErrors.CallAsync("GetQueueUrl", name, () => sqs.GetQueueUrlAsync(new GetQueueUrlRequest { QueueName = Physical(name) }, cancellationToken)).ConfigureAwait(false);
            return new QueueInfo(name, found.QueueUrl, await ArnOfAsync(name, found.QueueUrl).ConfigureAwait(false), options.IsFifo(name));
        }
        catch (AwsDestinationNotFoundException)
        {
            return null;
        }
    }

    private async Task DeleteOneQueueAsync(string name, CancellationToken cancellationToken)
    {
        var queue = await TryFindQueueAsync(name, cancellationToken).ConfigureAwait(false);
        _queues.TryRemove(name, out _);
        if (queue is null)
        {
            return;
        }

        try
        {
            await SqsErrors.CallAsync("DeleteQueue", name, () => sqs.DeleteQueueAsync(new DeleteQueueRequest { QueueUrl = queue.Url }, cancellationToken)).ConfigureAwait(false);
        }
        catch (AwsDestinationNotFoundException)
        {
            // Already gone.
        }
    }

    private async Task<string> ArnOfAsync(string name, string url)
    {
        var attributes = await SqsErrors.CallAsync("GetQueueAttributes", name, () => sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["QueueArn"] })).ConfigureAwait(false);
        return attributes.Attributes is { } found && found.TryGetValue("QueueArn", out var arn)
            ? arn
            : throw new AwsServiceException("SQS", "GetQueueAttributes", name, "MalformedResponse", System.Net.HttpStatusCode.OK, "the answer has no QueueArn", isTransient: false);
    }

    private Task<string> CreateTopicAsync(string name)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (options.IsFifo(name))
        {
            attributes["FifoTopic"] = "true";
        }

        return sns.CreateTopicAsync(Physical(name), attributes, name, CancellationToken.None);
    }

    private string? KnownTopic(string name) =>
        _topics.TryGetValue(name, out var known) && known.IsValueCreated && known.Value.IsCompletedSuccessfully ? known.Value.Result : null;

    /// <summary>The ARN a topic has in the partition, region and account of a queue: <c>arn:aws:sqs:r:a:q</c> gives
    /// <c>arn:aws:sns:r:a:&lt;topic&gt;</c>.</summary>
    internal string? TopicArnBeside(string queueArn, string topic)
    {
        var parts = queueArn.Split(':');
        return parts.Length == 6 && parts[0] == "arn" ? $"arn:{parts[1]}:sns:{parts[3]}:{parts[4]}:{Physical(topic)}" : null;
    }

    /// <summary>The AWS name of a queue or topic, FIFO where the options or the name say so.</summary>
    private string Physical(string name) => AwsNames.Physical(name, options.IsFifo(name));

    private async Task<string?> TryFindTopicAsync(string name, CancellationToken cancellationToken)
    {
        if (KnownTopic(name) is { } known)
        {
            return known;
        }

        // SNS has no "find by name" short of listing every topic; CreateTopic returns the ARN of an existing topic
        // and the caller deletes it next, so creating one that did not exist is harmless here.
        return await TopicAsync(name, cancellationToken).ConfigureAwait(false);
    }

    private static bool SamePolicy(string? current, string? wanted)
    {
        if (string.IsNullOrEmpty(current) || current == "{}")
        {
            return wanted is null;
        }

        if (wanted is null)
        {
            return false;
        }

        try
        {
            return JsonNode.DeepEquals(JsonNode.Parse(current), JsonNode.Parse(wanted));
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static string AllowSender(string queueArn, string service, string sourceArn) => new JsonObject
    {
        ["Version"] = "2012-10-17",
        ["Statement"] = new JsonArray(new JsonObject
        {
            ["Sid"] = "messaging-adapters-topic",
            ["Effect"] = "Allow",
            ["Principal"] = new JsonObject { ["Service"] = service },
            ["Action"] = "sqs:SendMessage",
            ["Resource"] = queueArn,
            ["Condition"] = new JsonObject { ["ArnEquals"] = new JsonObject { ["aws:SourceArn"] = sourceArn } },
        }),
    }.ToJsonString();
}

/// <summary>One SQS queue: its name in the library, URL, ARN, and whether it is FIFO.</summary>
internal sealed record QueueInfo(string Name, string Url, string Arn, bool Fifo);

namespace Messaging.Adapters.Aws.Clients;

/// <summary>
/// The EventBridge operations an event-bus topic needs. <see cref="EventBridgeJsonClient"/> implements them over
/// EventBridge's JSON 1.1 protocol on AWSSDK.Core; an application that has the generated <c>AWSSDK.EventBridge</c>
/// client can implement this interface over it.
/// </summary>
/// <remarks>Every method throws <see cref="AwsServiceException"/> (or <see cref="AwsDestinationNotFoundException"/>)
/// naming <c>destination</c> when EventBridge refuses the request, after transient failures were retried.</remarks>
public interface IEventBridgeClient
{
    /// <summary>Puts up to 10 events on buses in one request (<c>PutEvents</c>); entries can fail one by one.</summary>
    /// <param name="entries">The events.</param>
    /// <param name="destination">The topic as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The entries EventBridge did not take, by index; empty when all were taken.</returns>
    Task<IReadOnlyList<EventBridgeFailure>> PutEventsAsync(IReadOnlyList<EventBridgeEntry> entries, string destination, CancellationToken cancellationToken);

    /// <summary>Creates or updates a rule on a bus (<c>PutRule</c>, idempotent).</summary>
    /// <param name="name">The rule's name.</param>
    /// <param name="eventBusName">The bus.</param>
    /// <param name="eventPattern">The rule's event pattern (JSON).</param>
    /// <param name="destination">The subscription as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The rule's ARN.</returns>
    Task<string> PutRuleAsync(string name, string eventBusName, string eventPattern, string destination, CancellationToken cancellationToken);

    /// <summary>Sets a rule's target (<c>PutTargets</c>), here an SQS queue, with an input path.</summary>
    /// <param name="rule">The rule's name.</param>
    /// <param name="eventBusName">The bus.</param>
    /// <param name="targetId">The target's id within the rule.</param>
    /// <param name="targetArn">The target's ARN.</param>
    /// <param name="inputPath">The part of the event the target receives (for example <c>$.detail</c>), or <see langword="null"/> for all of it.</param>
    /// <param name="destination">The subscription as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The targets EventBridge did not take (empty on success).</returns>
    Task<IReadOnlyList<EventBridgeFailure>> PutTargetAsync(string rule, string eventBusName, string targetId, string targetArn, string? inputPath, string destination, CancellationToken cancellationToken);

    /// <summary>Removes targets from a rule (<c>RemoveTargets</c>).</summary>
    /// <param name="rule">The rule's name.</param>
    /// <param name="eventBusName">The bus.</param>
    /// <param name="targetIds">The targets' ids.</param>
    /// <param name="destination">The subscription as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the targets are removed.</returns>
    Task RemoveTargetsAsync(string rule, string eventBusName, IReadOnlyList<string> targetIds, string destination, CancellationToken cancellationToken);

    /// <summary>Deletes a rule (<c>DeleteRule</c>; its targets must be removed first).</summary>
    /// <param name="name">The rule's name.</param>
    /// <param name="eventBusName">The bus.</param>
    /// <param name="destination">The subscription as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the rule is gone.</returns>
    Task DeleteRuleAsync(string name, string eventBusName, string destination, CancellationToken cancellationToken);
}

/// <summary>One event to put on a bus.</summary>
/// <param name="EventBusName">The bus's name or ARN.</param>
/// <param name="Source">The event's source (not starting with <c>aws.</c>).</param>
/// <param name="DetailType">The event's detail type.</param>
/// <param name="Detail">The event's detail: a JSON object.</param>
/// <param name="Time">When the event happened, or <see langword="null"/> for the time EventBridge takes it.</param>
public sealed record EventBridgeEntry(string EventBusName, string Source, string DetailType, string Detail, DateTimeOffset? Time = null);

/// <summary>One entry EventBridge did not take.</summary>
/// <param name="Index">The entry's index in the request.</param>
/// <param name="Code">EventBridge's error code.</param>
/// <param name="Message">EventBridge's error message.</param>
public sealed record EventBridgeFailure(int Index, string Code, string Message);

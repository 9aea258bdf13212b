namespace Messaging.Adapters.Aws.Clients;

/// <summary>
/// The SNS operations the AWS transport uses. <see cref="SnsQueryClient"/> implements them over SNS's Query protocol on
/// AWSSDK.Core; an application that has the generated <c>AWSSDK.SimpleNotificationService</c> client can implement this
/// interface over it and pass it in <see cref="AwsTransport"/>'s constructor.
/// </summary>
/// <remarks>Every method throws <see cref="AwsServiceException"/> (or <see cref="AwsDestinationNotFoundException"/>)
/// naming <c>destination</c> when SNS refuses the request, after transient failures were retried.</remarks>
public interface ISnsClient
{
    /// <summary>Creates a topic, or returns the existing one's ARN (SNS <c>CreateTopic</c> is idempotent).</summary>
    /// <param name="name">The topic's name in SNS.</param>
    /// <param name="attributes">The topic's attributes (<c>FifoTopic</c>, ...).</param>
    /// <param name="destination">The topic as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The topic's ARN.</returns>
    Task<string> CreateTopicAsync(string name, IReadOnlyDictionary<string, string> attributes, string destination, CancellationToken cancellationToken);

    /// <summary>Deletes a topic (<c>DeleteTopic</c>; deleting a missing topic succeeds).</summary>
    /// <param name="topicArn">The topic's ARN.</param>
    /// <param name="destination">The topic as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the topic is gone.</returns>
    Task DeleteTopicAsync(string topicArn, string destination, CancellationToken cancellationToken);

    /// <summary>Subscribes an endpoint to a topic (<c>Subscribe</c> with <c>ReturnSubscriptionArn</c>).</summary>
    /// <param name="topicArn">The topic's ARN.</param>
    /// <param name="protocol">The protocol, <c>sqs</c>.</param>
    /// <param name="endpoint">The endpoint: the queue's ARN.</param>
    /// <param name="attributes">The subscription's attributes (<c>RawMessageDelivery</c>, <c>FilterPolicy</c>).</param>
    /// <param name="destination">The subscription as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The subscription's ARN.</returns>
    Task<string> SubscribeAsync(string topicArn, string protocol, string endpoint, IReadOnlyDictionary<string, string> attributes, string destination, CancellationToken cancellationToken);

    /// <summary>Sets one attribute of a subscription (<c>SetSubscriptionAttributes</c>).</summary>
    /// <param name="subscriptionArn">The subscription's ARN.</param>
    /// <param name="name">The attribute, for example <c>FilterPolicy</c>.</param>
    /// <param name="value">Its value.</param>
    /// <param name="destination">The subscription as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the attribute is set.</returns>
    Task SetSubscriptionAttributeAsync(string subscriptionArn, string name, string value, string destination, CancellationToken cancellationToken);

    /// <summary>Reads a subscription's attributes (<c>GetSubscriptionAttributes</c>).</summary>
    /// <param name="subscriptionArn">The subscription's ARN.</param>
    /// <param name="destination">The subscription as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The attributes.</returns>
    Task<IReadOnlyDictionary<string, string>> GetSubscriptionAttributesAsync(string subscriptionArn, string destination, CancellationToken cancellationToken);

    /// <summary>Removes a subscription (<c>Unsubscribe</c>).</summary>
    /// <param name="subscriptionArn">The subscription's ARN.</param>
    /// <param name="destination">The subscription as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the subscription is gone.</returns>
    Task UnsubscribeAsync(string subscriptionArn, string destination, CancellationToken cancellationToken);

    /// <summary>Lists the subscriptions of a topic, every page (<c>ListSubscriptionsByTopic</c>).</summary>
    /// <param name="topicArn">The topic's ARN.</param>
    /// <param name="destination">The topic as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The subscriptions: ARN, protocol and endpoint of each.</returns>
    Task<IReadOnlyList<SnsSubscription>> ListSubscriptionsByTopicAsync(string topicArn, string destination, CancellationToken cancellationToken);

    /// <summary>Publishes one message (<c>Publish</c>).</summary>
    /// <param name="topicArn">The topic's ARN.</param>
    /// <param name="message">The message.</param>
    /// <param name="destination">The topic as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>SNS's message id.</returns>
    Task<string> PublishAsync(string topicArn, SnsMessage message, string destination, CancellationToken cancellationToken);

    /// <summary>Publishes up to 10 messages in one request (<c>PublishBatch</c>); entries can fail one by one.</summary>
    /// <param name="topicArn">The topic's ARN.</param>
    /// <param name="messages">The messages; each entry's id is its index in this list.</param>
    /// <param name="destination">The topic as the application names it, for errors.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The entries SNS did not take, by index; empty when all were taken.</returns>
    Task<IReadOnlyList<SnsBatchFailure>> PublishBatchAsync(string topicArn, IReadOnlyList<SnsMessage> messages, string destination, CancellationToken cancellationToken);
}

/// <summary>One message to publish to SNS.</summary>
/// <param name="Body">The message text.</param>
/// <param name="Attributes">The message attributes, all of data type <c>String</c>.</param>
/// <param name="GroupId">The message group id, for a FIFO topic.</param>
/// <param name="DeduplicationId">The deduplication id, for a FIFO topic.</param>
public sealed record SnsMessage(string Body, IReadOnlyList<KeyValuePair<string, string>> Attributes, string? GroupId = null, string? DeduplicationId = null);

/// <summary>One subscription of a topic.</summary>
/// <param name="SubscriptionArn">Its ARN (<c>PendingConfirmation</c> while unconfirmed).</param>
/// <param name="Protocol">Its protocol, for example <c>sqs</c>.</param>
/// <param name="Endpoint">Its endpoint, for example a queue's ARN.</param>
public sealed record SnsSubscription(string SubscriptionArn, string Protocol, string Endpoint);

/// <summary>One entry of a <c>PublishBatch</c> that SNS did not take.</summary>
/// <param name="Index">The entry's index in the batch.</param>
/// <param name="Code">SNS's error code.</param>
/// <param name="Message">SNS's error message.</param>
/// <param name="SenderFault">Whether the entry itself is wrong (sending it again cannot help).</param>
public sealed record SnsBatchFailure(int Index, string Code, string Message, bool SenderFault);

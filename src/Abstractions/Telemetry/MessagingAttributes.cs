namespace Messaging.Adapters;

/// <summary>The attribute names and values of the OpenTelemetry messaging semantic conventions that the library writes.</summary>
internal static class MessagingAttributes
{
    public const string System = "messaging.system";
    public const string OperationType = "messaging.operation.type";
    public const string OperationName = "messaging.operation.name";
    public const string DestinationName = "messaging.destination.name";
    public const string SubscriptionName = "messaging.destination.subscription.name";
    public const string PartitionId = "messaging.destination.partition.id";
    public const string ConsumerGroup = "messaging.consumer.group.name";
    public const string MessageId = "messaging.message.id";
    public const string ConversationId = "messaging.message.conversation_id";
    public const string BodySize = "messaging.message.body.size";
    public const string BatchCount = "messaging.batch.message_count";
    public const string KafkaOffset = "messaging.kafka.offset";
    public const string KafkaKey = "messaging.kafka.message.key";
    public const string ErrorType = "error.type";

    /// <summary>The 1-based handling attempt of a process span: not in the conventions, so under the library's name.</summary>
    public const string Attempt = "messaging.adapters.attempt";

    /// <summary>The operation types the conventions define and the library uses.</summary>
    public const string Send = "send";
    public const string Process = "process";
    public const string Receive = "receive";
    public const string Settle = "settle";

    /// <summary>The operation names: the contract's verbs.</summary>
    public const string Publish = "publish";
    public const string Append = "append";

    /// <summary>The settle operation names, one per outcome of the handler pipeline (see <see cref="Transport.SettleSpan"/>).</summary>
    public const string Ack = "ack";
    public const string Nack = "nack";
    public const string Retry = "retry";
    public const string DeadLetter = "dead_letter";
}

namespace Messaging.Adapters;

/// <summary>
/// Values of the OpenTelemetry attribute <c>messaging.system</c> that the library's transports report (see
/// <see cref="TransportCapabilities.MessagingSystem"/>).
/// </summary>
public static class MessagingSystems
{
    /// <summary>RabbitMQ.</summary>
    public const string RabbitMq = "rabbitmq";

    /// <summary>Apache Kafka.</summary>
    public const string Kafka = "kafka";

    /// <summary>Amazon SQS: every queue, subscription queue and dead-letter queue of the AWS transport.</summary>
    public const string AwsSqs = "aws_sqs";

    /// <summary>Amazon SNS: what the AWS transport publishes to a topic.</summary>
    public const string AwsSns = "aws_sns";

    /// <summary>Amazon EventBridge: what the AWS transport publishes to an event bus (not a value the conventions
    /// define; named as they name the other AWS services).</summary>
    public const string AwsEventBridge = "aws_eventbridge";

    /// <summary>The in-memory transport (not a value the conventions define): the transport's name in lowercase, as
    /// for any transport that declares no system of its own.</summary>
    public const string InMemory = "inmemory";
}

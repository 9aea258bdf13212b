namespace Messaging.Adapters.Testing;

/// <summary>
/// How <see cref="MessagingBroker.StartAsync(string, MessagingBrokerOptions?, CancellationToken)"/> starts a broker:
/// the image of each broker and the AWS region. An image left <see langword="null"/> is taken from its environment
/// variable (<see cref="RabbitMqImageVariable"/>, <see cref="KafkaImageVariable"/>,
/// <see cref="LocalStackImageVariable"/>), else the upstream default.
/// </summary>
public sealed class MessagingBrokerOptions
{
    /// <summary>The environment variable naming the RabbitMQ image: <c>MESSAGING_TESTING_RABBITMQ_IMAGE</c>.</summary>
    public const string RabbitMqImageVariable = "MESSAGING_TESTING_RABBITMQ_IMAGE";

    /// <summary>The environment variable naming the Kafka image: <c>MESSAGING_TESTING_KAFKA_IMAGE</c>.</summary>
    public const string KafkaImageVariable = "MESSAGING_TESTING_KAFKA_IMAGE";

    /// <summary>The environment variable naming the LocalStack image: <c>MESSAGING_TESTING_LOCALSTACK_IMAGE</c>.</summary>
    public const string LocalStackImageVariable = "MESSAGING_TESTING_LOCALSTACK_IMAGE";

    /// <summary>The upstream RabbitMQ image used by default: <c>rabbitmq:3.13</c> (quorum and stream queues).</summary>
    public const string DefaultRabbitMqImage = "rabbitmq:3.13";

    /// <summary>The upstream Kafka image used by default: <c>confluentinc/cp-kafka:7.5.12</c>, Testcontainers' own.</summary>
    public const string DefaultKafkaImage = "confluentinc/cp-kafka:7.5.12";

    /// <summary>
    /// The upstream LocalStack image used by default: <c>localstack/localstack:4.14</c>, the last release that runs
    /// without a LocalStack auth token.
    /// </summary>
    public const string DefaultLocalStackImage = "localstack/localstack:4.14";

    /// <summary>The RabbitMQ image; <see langword="null"/> for <see cref="RabbitMqImageVariable"/> or the default.</summary>
    public string? RabbitMqImage { get; set; }

    /// <summary>The Kafka image; <see langword="null"/> for <see cref="KafkaImageVariable"/> or the default.</summary>
    public string? KafkaImage { get; set; }

    /// <summary>The LocalStack image; <see langword="null"/> for <see cref="LocalStackImageVariable"/> or the default.</summary>
    public string? LocalStackImage { get; set; }

    /// <summary>The region given to the AWS transport (<c>Messaging:Aws:Region</c>); <c>us-east-1</c> by default.</summary>
    public string AwsRegion { get; set; } = "us-east-1";
}

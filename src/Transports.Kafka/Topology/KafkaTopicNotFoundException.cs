namespace Messaging.Adapters.Kafka;

/// <summary>
/// The topic a message was sent to, or a consumer asked for, does not exist, and the transport may not create it
/// (<see cref="KafkaTransportOptions.ProvisionOnFirstUse"/> is off). Nothing was sent.
/// </summary>
public sealed class KafkaTopicNotFoundException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="topic">The Kafka topic (a topic's, queue's, stream's or subscription's).</param>
    /// <param name="message">What happened and what to do about it.</param>
    public KafkaTopicNotFoundException(string topic, string message)
        : base(message)
    {
        Topic = topic;
    }

    /// <summary>The Kafka topic that does not exist.</summary>
    public string Topic { get; }
}

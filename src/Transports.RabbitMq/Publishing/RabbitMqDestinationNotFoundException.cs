namespace Messaging.Adapters.RabbitMq;

/// <summary>
/// The queue, stream or topic exchange a message was sent to, or a consumer asked for, does not exist on the broker:
/// a publish was returned unroutable (nothing was delivered), or a consume was refused.
/// </summary>
/// <remarks>With <see cref="RabbitMqTransportOptions.ProvisionOnFirstUse"/> on (the default) the transport creates
/// what it uses, so this means something was deleted behind its back and could not be declared again; with it off,
/// create the destination with <see cref="ITopology.EnsureAsync"/> first.</remarks>
public sealed class RabbitMqDestinationNotFoundException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="destination">The queue, stream or topic.</param>
    /// <param name="messageId">The message's id, for a publish; <see langword="null"/> for a consume.</param>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="innerException">RabbitMQ.Client's error.</param>
    public RabbitMqDestinationNotFoundException(string destination, string? messageId, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Destination = destination;
        MessageId = messageId;
    }

    /// <summary>The queue, stream or topic.</summary>
    public string Destination { get; }

    /// <summary>The message's id, for a publish; <see langword="null"/> for a consume.</summary>
    public string? MessageId { get; }
}

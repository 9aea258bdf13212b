namespace Messaging.Adapters;

/// <summary>
/// The root of the exceptions the library throws for messaging failures (argument errors stay <see cref="ArgumentException"/>).
/// </summary>
public class MessagingException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The underlying error, often the broker client's.</param>
    public MessagingException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A message body is larger than the transport accepts; thrown before anything is sent.
/// </summary>
public sealed class MessageTooLargeException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="limit">The transport's limit in bytes.</param>
    /// <param name="actual">The body's size in bytes.</param>
    /// <param name="destination">The topic, queue or stream it was going to.</param>
    /// <param name="messageId">The message's id.</param>
    public MessageTooLargeException(int limit, int actual, string destination, string messageId)
        : base($"Message '{messageId}' to '{destination}' has a body of {actual} bytes, over the transport's limit of {limit} bytes (TransportCapabilities.MaxMessageSize). Nothing was sent.")
    {
        Limit = limit;
        Actual = actual;
        Destination = destination;
        MessageId = messageId;
    }

    /// <summary>The transport's limit in bytes.</summary>
    public int Limit { get; }

    /// <summary>The body's size in bytes.</summary>
    public int Actual { get; }

    /// <summary>The topic, queue or stream the message was going to.</summary>
    public string Destination { get; }

    /// <summary>The message's id.</summary>
    public string MessageId { get; }
}

/// <summary>
/// A batch carries more messages or more bytes than one call of the transport takes; thrown before anything is sent.
/// </summary>
/// <remarks>Not a <see cref="MessageTooLargeException"/>: no single message is at fault (each fits), and the remedy
/// differs (split the batch), so code that catches one must not silently catch the other.</remarks>
public sealed class BatchTooLargeException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="capability">The limit exceeded, as named in <see cref="TransportCapabilities"/>:
    /// <c>MaxBatchEntries</c> or <c>MaxBatchBytes</c>.</param>
    /// <param name="limit">The transport's limit (messages or bytes).</param>
    /// <param name="actual">The batch's count or total body size.</param>
    /// <param name="destination">The topic, queue or stream it was going to.</param>
    public BatchTooLargeException(string capability, long limit, long actual, string destination)
        : base($"The batch to '{destination}' has {actual} {Unit(capability)}, over the transport's limit of {limit} (TransportCapabilities.{capability}). Nothing was sent; split the batch.")
    {
        Capability = capability;
        Limit = limit;
        Actual = actual;
        Destination = destination;
    }

    /// <summary>The limit exceeded: <c>MaxBatchEntries</c> or <c>MaxBatchBytes</c>.</summary>
    public string Capability { get; }

    /// <summary>The transport's limit (messages or bytes).</summary>
    public long Limit { get; }

    /// <summary>The batch's count or total body size.</summary>
    public long Actual { get; }

    /// <summary>The topic, queue or stream the batch was going to.</summary>
    public string Destination { get; }

    private static string Unit(string capability) => capability == nameof(TransportCapabilities.MaxBatchBytes) ? "body bytes" : "messages";
}

/// <summary>
/// An operation needs a capability the transport does not declare.
/// </summary>
public sealed class CapabilityNotSupportedException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="capability">The capability's name, as in <see cref="TransportCapabilities"/>.</param>
    /// <param name="transport">The transport's name.</param>
    public CapabilityNotSupportedException(string capability, string transport)
        : base($"The {transport} transport does not support {capability} (TransportCapabilities.{capability} is off).")
    {
        Capability = capability;
        Transport = transport;
    }

    /// <summary>The capability's name.</summary>
    public string Capability { get; }

    /// <summary>The transport's name.</summary>
    public string Transport { get; }
}

/// <summary>
/// The broker could not be reached or did not confirm; the outcome of a publish that throws this is unknown.
/// </summary>
public class TransportUnavailableException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, without credentials.</param>
    /// <param name="isTransient">Whether retrying later may succeed.</param>
    /// <param name="innerException">The broker client's error.</param>
    public TransportUnavailableException(string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
    }

    /// <summary>Whether retrying later may succeed.</summary>
    public bool IsTransient { get; }
}

/// <summary>
/// A request sent with <see cref="RequestClient"/> got no reply in time.
/// </summary>
public sealed class RequestTimeoutException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="correlationId">The request's id, which a reply would carry as its correlation id.</param>
    /// <param name="queue">The queue the request was sent to.</param>
    /// <param name="timeout">How long the client waited.</param>
    public RequestTimeoutException(string correlationId, string queue, TimeSpan timeout)
        : base($"No reply to request '{correlationId}' sent to queue '{queue}' within {timeout.TotalMilliseconds:0} ms.")
    {
        CorrelationId = correlationId;
        Queue = queue;
        Timeout = timeout;
    }

    /// <summary>The request's id.</summary>
    public string CorrelationId { get; }

    /// <summary>The queue the request was sent to.</summary>
    public string Queue { get; }

    /// <summary>How long the client waited.</summary>
    public TimeSpan Timeout { get; }
}

/// <summary>
/// A destination exists with a definition that conflicts with the one asked for.
/// </summary>
public sealed class TopologyConflictException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="destination">The destination, as the broker names it.</param>
    /// <param name="existing">The existing definition, in words.</param>
    /// <param name="requested">The requested definition, in words.</param>
    /// <param name="innerException">The broker's error.</param>
    public TopologyConflictException(string destination, string existing, string requested, Exception? innerException = null)
        : base($"'{destination}' already exists as {existing}, which conflicts with the requested {requested}. Delete it or align the definitions.", innerException)
    {
        Destination = destination;
        Existing = existing;
        Requested = requested;
    }

    /// <summary>The destination, as the broker names it.</summary>
    public string Destination { get; }

    /// <summary>The existing definition, in words.</summary>
    public string Existing { get; }

    /// <summary>The requested definition, in words.</summary>
    public string Requested { get; }
}

/// <summary>
/// Some messages of a batch may not have been sent; the rest were confirmed.
/// </summary>
public sealed class BatchPublishException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="destination">The topic, queue or stream.</param>
    /// <param name="unconfirmedIds">The ids whose outcome is not confirmed, in batch order.</param>
    /// <param name="innerException">The first failure.</param>
    public BatchPublishException(string destination, IReadOnlyList<string> unconfirmedIds, Exception innerException)
        : base($"{unconfirmedIds.Count} message(s) of a batch to '{destination}' were not confirmed (first: '{(unconfirmedIds.Count > 0 ? unconfirmedIds[0] : "")}'); the others were. Resend the unconfirmed ones.", innerException)
    {
        Destination = destination;
        UnconfirmedIds = unconfirmedIds;
    }

    /// <summary>The topic, queue or stream.</summary>
    public string Destination { get; }

    /// <summary>The ids whose outcome is not confirmed, in batch order.</summary>
    public IReadOnlyList<string> UnconfirmedIds { get; }
}

/// <summary>
/// Thrown by a handler to send the message straight to the dead-letter queue with a reason, without retries.
/// </summary>
public sealed class DeadLetterException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the message cannot be handled; it is stored in <see cref="EnvelopeHeaders.DeadLetterReason"/>.</param>
    /// <param name="innerException">The failure behind it, if any.</param>
    public DeadLetterException(string reason, Exception? innerException = null)
        : base(reason, innerException)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Reason = reason;
    }

    /// <summary>Why the message cannot be handled.</summary>
    public string Reason { get; }
}

/// <summary>
/// A message body could not be turned into the expected type: a poison message, dead-lettered without retries.
/// </summary>
public sealed class MessageDeserializationException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="messageId">The message's id.</param>
    /// <param name="messageType">The message's type name.</param>
    /// <param name="problem">What was wrong.</param>
    /// <param name="innerException">The serializer's error.</param>
    public MessageDeserializationException(string messageId, string messageType, string problem, Exception? innerException = null)
        : base($"Message '{messageId}' of type '{messageType}' cannot be deserialized: {problem}", innerException)
    {
        MessageId = messageId;
        MessageType = messageType;
    }

    /// <summary>The message's id.</summary>
    public string MessageId { get; }

    /// <summary>The message's type name.</summary>
    public string MessageType { get; }
}

/// <summary>
/// The messaging configuration is invalid: unknown transport, adapter not installed, or a bad option.
/// </summary>
public sealed class MessagingConfigurationException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="key">The configuration key at fault, for example <c>Messaging:Transport</c>.</param>
    /// <param name="message">What is wrong and what is allowed.</param>
    public MessagingConfigurationException(string key, string message)
        : base(message)
    {
        Key = key;
    }

    /// <summary>The configuration key at fault.</summary>
    public string Key { get; }
}

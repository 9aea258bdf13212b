using System.ComponentModel.DataAnnotations;

namespace Messaging.Adapters.InMemory;

/// <summary>
/// Options of the in-memory transport (configuration section <c>Messaging:InMemory</c>).
/// </summary>
/// <remarks>Our words map onto in-process structures: a topic is a list of subscription queues, a subscription is
/// the queue <c>&lt;topic&gt;.&lt;subscription&gt;</c>, a queue is a FIFO with competing consumers, a stream is an
/// append-only log with one partition.</remarks>
public sealed class InMemoryTransportOptions : TransportOptions
{
    /// <summary>The largest message body accepted, in bytes (<see cref="TransportCapabilities.MaxMessageSize"/>).</summary>
    /// <value>The default value is 262,144 (256 KiB, as SQS). Valid values are 1 to 104,857,600 (100 MiB).</value>
    [Range(1, 100 * 1024 * 1024)]
    public int MaxMessageSize { get; set; } = 256 * 1024;
}

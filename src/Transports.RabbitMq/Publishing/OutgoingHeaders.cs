using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Publishing;

/// <summary>
/// The headers of an outgoing message: a dictionary that, for a publish the broker can never return (not mandatory:
/// a topic's), does not take RabbitMQ.Client's <c>x-dotnet-pub-seq-no</c>, which the client adds through
/// <see cref="IDictionary{TKey, TValue}"/> on every publish with confirm tracking and which every consumer would read.
/// </summary>
/// <remarks>A mandatory publish (a send to a queue or stream, a retry, a dead letter) keeps it: the client finds a
/// <c>basic.return</c>'s publish by that header, and its reader loop fails on a return without it
/// (<c>Headers[...]</c> on a missing key), which would drop the connection.</remarks>
internal sealed class OutgoingHeaders : Dictionary<string, object?>, IDictionary<string, object?>
{
    public OutgoingHeaders(int capacity)
        : base(capacity, StringComparer.Ordinal)
    {
    }

    /// <summary>Whether the client's sequence-number header is left out (set for publishes that are not mandatory).</summary>
    public bool LeavesOutSequenceNumber { get; set; }

    object? IDictionary<string, object?>.this[string key]
    {
        get => this[key];
        set
        {
            if (!LeavesOutSequenceNumber || key != Constants.PublishSequenceNumberHeader)
            {
                this[key] = value;
            }
        }
    }
}

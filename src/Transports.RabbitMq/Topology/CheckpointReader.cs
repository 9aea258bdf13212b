using System.Globalization;
using System.Text;

namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// Reads the offset a reader group stored in its checkpoint queue (one message, the next offset as text) without
/// taking it away.
/// </summary>
internal static class CheckpointReader
{
    /// <summary>Reads the stored offset, leaving the message in the queue.</summary>
    /// <param name="channels">The topology channel.</param>
    /// <param name="checkpointQueue">The checkpoint queue.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The offset, or <see langword="null"/> when none is stored (or it is unreadable).</returns>
    public static async Task<long?> ReadAsync(TopologyChannel channels, string checkpointQueue, CancellationToken cancellationToken)
    {
        long? offset = null;
        await channels.RunAsync(async channel =>
        {
            var result = await channel.BasicGetAsync(checkpointQueue, false, cancellationToken).ConfigureAwait(false);
            if (result is null)
            {
                return;
            }

            // Put back at once: the checkpoint stays the queue's only message for the next reader.
            await channel.BasicNackAsync(result.DeliveryTag, false, true, cancellationToken).ConfigureAwait(false);
            if (long.TryParse(Encoding.UTF8.GetString(result.Body.Span), NumberStyles.None, CultureInfo.InvariantCulture, out var stored))
            {
                offset = stored;
            }
        }, cancellationToken).ConfigureAwait(false);
        return offset;
    }
}

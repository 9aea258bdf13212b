namespace Messaging.Adapters;

/// <summary>
/// Publishes, sends and appends typed messages through a <see cref="MessageCodec"/>.
/// </summary>
public static class TypedMessagingExtensions
{
    /// <summary>Publishes a typed message to a topic.</summary>
    /// <typeparam name="T">The message class.</typeparam>
    /// <param name="publisher">The publisher.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="message">The message.</param>
    /// <param name="codec">The codec that encodes it.</param>
    /// <param name="key">The ordering key, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The envelope that was published (its id identifies the message).</returns>
    public static async ValueTask<Envelope> PublishAsync<T>(this IPublisher publisher, string topic, T message, MessageCodec codec, string? key = null, CancellationToken cancellationToken = default)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(codec);
        var envelope = codec.Encode(message) with { Key = key };
        await publisher.PublishAsync(topic, envelope, cancellationToken).ConfigureAwait(false);
        return envelope;
    }

    /// <summary>Sends a typed message to a queue.</summary>
    /// <typeparam name="T">The message class.</typeparam>
    /// <param name="queue">The queues.</param>
    /// <param name="queueName">The queue.</param>
    /// <param name="message">The message.</param>
    /// <param name="codec">The codec that encodes it.</param>
    /// <param name="key">The ordering key, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The envelope that was sent.</returns>
    public static async ValueTask<Envelope> SendAsync<T>(this IQueue queue, string queueName, T message, MessageCodec codec, string? key = null, CancellationToken cancellationToken = default)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(codec);
        var envelope = codec.Encode(message) with { Key = key };
        await queue.SendAsync(queueName, envelope, cancellationToken).ConfigureAwait(false);
        return envelope;
    }

    /// <summary>Appends a typed message to a stream.</summary>
    /// <typeparam name="T">The message class.</typeparam>
    /// <param name="stream">The streams.</param>
    /// <param name="streamName">The stream.</param>
    /// <param name="message">The message.</param>
    /// <param name="codec">The codec that encodes it.</param>
    /// <param name="key">The ordering and partitioning key, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The envelope that was appended.</returns>
    public static async ValueTask<Envelope> AppendAsync<T>(this IStream stream, string streamName, T message, MessageCodec codec, string? key = null, CancellationToken cancellationToken = default)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(codec);
        var envelope = codec.Encode(message) with { Key = key };
        await stream.AppendAsync(streamName, envelope, cancellationToken).ConfigureAwait(false);
        return envelope;
    }
}

using Messaging.Adapters.RabbitMq.Connection;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// Declares an exchange or a queue from its flat definition: the declare flags (<c>type</c>, <c>durable</c>,
/// <c>auto_delete</c>) and the arguments in one map, named as the broker's PRECONDITION_FAILED texts name them.
/// </summary>
internal static class EntityDeclaration
{
    /// <summary>The kind of an exchange definition.</summary>
    public const string Exchange = "exchange";

    /// <summary>The kind of a queue definition.</summary>
    public const string Queue = "queue";

    /// <summary>A durable exchange's definition.</summary>
    public static Dictionary<string, object?> DurableExchange(string type, Dictionary<string, object?>? arguments = null) =>
        new(arguments ?? [], StringComparer.Ordinal) { ["type"] = type, ["durable"] = true };

    /// <summary>A durable queue's definition.</summary>
    public static Dictionary<string, object?> DurableQueue(Dictionary<string, object?> arguments) =>
        new(arguments, StringComparer.Ordinal) { ["durable"] = true };

    /// <summary>Declares an entity; a declaration that conflicts with the existing entity becomes a
    /// <see cref="TopologyConflictException"/> naming both definitions.</summary>
    /// <param name="channels">The topology channel, for the conflict diagnosis's probes.</param>
    /// <param name="channel">The channel to declare on.</param>
    /// <param name="virtualHost">The virtual host, for the conflict message.</param>
    /// <param name="kind"><see cref="Exchange"/> or <see cref="Queue"/>.</param>
    /// <param name="name">The entity's name.</param>
    /// <param name="definition">Its flat definition.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the broker declared the entity (or found it as defined).</returns>
    public static async Task DeclareAsync(TopologyChannel channels, IChannel channel, string virtualHost, string kind, string name, Dictionary<string, object?> definition, CancellationToken cancellationToken)
    {
        try
        {
            await DeclareOnAsync(channel, kind, name, definition, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (BrokerErrors.IsChannelRefusal(ex, out var code) && code == BrokerErrors.PreconditionFailed)
        {
            throw await DeclarationConflict.DiagnoseAsync(channels, virtualHost, kind, name, definition, ex, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Declares an entity from its flat definition, with nothing more.</summary>
    public static Task DeclareOnAsync(IChannel channel, string kind, string name, IReadOnlyDictionary<string, object?> definition, CancellationToken cancellationToken)
    {
        var durable = definition.TryGetValue("durable", out var d) && d is true;
        var autoDelete = definition.TryGetValue("auto_delete", out var a) && a is true;
        var arguments = definition.Where(p => p.Key is not ("durable" or "auto_delete" or "type" or "exclusive") && p.Value is not null)
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return kind == Exchange
            ? channel.ExchangeDeclareAsync(name, (string)definition["type"]!, durable, autoDelete, arguments.Count == 0 ? null : arguments, false, false, cancellationToken)
            : channel.QueueDeclareAsync(name, durable, false, autoDelete, arguments, false, false, cancellationToken);
    }
}

using System.Globalization;
using Messaging.Adapters.RabbitMq.Connection;

namespace Messaging.Adapters.RabbitMq.Topology;

/// <summary>
/// Explains a declaration the broker refused with PRECONDITION_FAILED: the existing entity's definition beside the
/// requested one, in a <see cref="TopologyConflictException"/>.
/// </summary>
/// <remarks>
/// <para>That there is a conflict is decided by the reply code alone (406 on our own declaration); what the existing
/// entity looks like comes from the broker's reply text, because nothing sturdier exists over AMQP 0-9-1:
/// <c>queue.declare-ok</c> carries only the name and the message and consumer counts, a passive declare checks no
/// arguments, RabbitMQ.Client's <c>ShutdownEventArgs</c> has the code, the text and the class and method ids but
/// no field naming the argument, and the management API (which does list arguments) is a plugin this library does not
/// require. An argument's existing value cannot be found by probing either, values being unbounded.</para>
/// <para>So each refusal's text (<c>inequivalent arg 'x-queue-type' ... received 'quorum' but current is
/// 'classic'</c>, read by <see cref="BrokerErrors.TryReadInequivalentArgument"/>) names one differing argument and its
/// current value; declaring again with that value reveals the next, until the declaration matches (which changes
/// nothing, the entity existing already). A text that cannot be read ends the learning early: the exception is still a
/// conflict, its existing definition marked "as far as the broker told".</para>
/// </remarks>
internal static class DeclarationConflict
{
    // More rounds than the arguments the broker checks for equivalence on any entity.
    private const int MaxRounds = 16;

    /// <summary>Learns the existing definition and builds the exception.</summary>
    /// <param name="channels">Where the probing declarations run, each on a channel of its own.</param>
    /// <param name="virtualHost">The virtual host, for the message.</param>
    /// <param name="kind"><see cref="EntityDeclaration.Exchange"/> or <see cref="EntityDeclaration.Queue"/>.</param>
    /// <param name="name">The entity.</param>
    /// <param name="requested">The refused definition.</param>
    /// <param name="first">The refusal.</param>
    /// <param name="cancellationToken">Cancels the probes.</param>
    /// <returns>The exception to throw.</returns>
    public static async Task<TopologyConflictException> DiagnoseAsync(TopologyChannel channels, string virtualHost, string kind, string name, Dictionary<string, object?> requested, Exception first, CancellationToken cancellationToken)
    {
        var existing = new Dictionary<string, object?>(requested, StringComparer.Ordinal);
        var error = first;
        var complete = false;
        for (var round = 0; round < MaxRounds && ApplyDifference(error, existing); round++)
        {
            try
            {
                await channels.RunOnFreshChannelAsync(channel => EntityDeclaration.DeclareOnAsync(channel, kind, name, existing, cancellationToken), cancellationToken).ConfigureAwait(false);
                complete = true;
                break;
            }
            catch (Exception ex) when (BrokerErrors.IsChannelRefusal(ex, out var code) && code == BrokerErrors.PreconditionFailed)
            {
                error = ex;
            }
        }

        var existingText = Describe(existing) + (complete ? string.Empty : " (as far as the broker told)");
        return new TopologyConflictException(name, $"{(kind == EntityDeclaration.Exchange ? "an" : "a")} {kind} in virtual host '{virtualHost}' with {existingText}", $"{kind} with {Describe(requested)}", first);
    }

    /// <summary>Describes a definition for conflict messages: every argument, sorted, values quoted.</summary>
    /// <param name="definition">A flat definition.</param>
    /// <returns>For example <c>{durable=true, x-queue-type='quorum'}</c>.</returns>
    public static string Describe(IReadOnlyDictionary<string, object?> definition) =>
        "{" + string.Join(", ", definition.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={Show(a.Value)}")) + "}";

    /// <summary>Takes the difference a refusal names into <paramref name="existing"/>.</summary>
    /// <returns>Whether the refusal named one.</returns>
    private static bool ApplyDifference(Exception refusal, Dictionary<string, object?> existing)
    {
        if (BrokerErrors.ReasonOf(refusal) is not { } reason || !BrokerErrors.TryReadInequivalentArgument(reason.ReplyText, out var difference))
        {
            return false;
        }

        if (difference.Current is null)
        {
            existing.Remove(difference.Argument);
        }
        else
        {
            existing[difference.Argument] = difference.Current;
        }

        return true;
    }

    private static string Show(object? value) => value switch
    {
        null => "none",
        string text => $"'{text}'",
        bool flag => flag ? "true" : "false",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "?",
    };
}

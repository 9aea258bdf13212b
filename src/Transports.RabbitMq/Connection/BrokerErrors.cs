using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Messaging.Adapters.RabbitMq.Connection;

/// <summary>
/// Reads RabbitMQ.Client's exceptions: whether a connection was lost (retry after recovery) or the broker refused
/// an operation on one channel (a missing entity, a conflicting declaration), and what the broker said.
/// </summary>
internal static partial class BrokerErrors
{
    /// <summary>AMQP reply code: the broker refused access (for example a reserved <c>amq.</c> name).</summary>
    public const ushort AccessRefused = 403;

    /// <summary>AMQP reply code: the operation is not allowed (for example a virtual host that does not exist).</summary>
    public const ushort NotAllowed = 530;

    /// <summary>AMQP reply code: the exchange or queue does not exist.</summary>
    public const ushort NotFound = 404;

    /// <summary>AMQP reply code: an exclusive entity is used by another connection.</summary>
    public const ushort ResourceLocked = 405;

    /// <summary>AMQP reply code: a declaration conflicts with the existing entity.</summary>
    public const ushort PreconditionFailed = 406;

    /// <summary>The broker's reason for closing a channel or connection, when the exception carries one.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>The reason, or <see langword="null"/>.</returns>
    public static ShutdownEventArgs? ReasonOf(Exception exception) => exception switch
    {
        OperationInterruptedException interrupted => interrupted.ShutdownReason,
        _ when exception.InnerException is { } inner => ReasonOf(inner),
        _ => null,
    };

    /// <summary>Whether the broker closed a channel (not the connection) because it refused one operation.</summary>
    /// <param name="exception">The exception.</param>
    /// <param name="replyCode">The broker's reply code.</param>
    /// <returns><see langword="true"/> for 403, 404, 405 and 406 from the broker.</returns>
    public static bool IsChannelRefusal(Exception exception, out ushort replyCode)
    {
        var reason = ReasonOf(exception);
        replyCode = reason?.ReplyCode ?? 0;
        return reason is { Initiator: ShutdownInitiator.Peer } && replyCode is AccessRefused or NotFound or ResourceLocked or PreconditionFailed;
    }

    /// <summary>Whether the exception means the connection (or its socket) was lost: the operation's outcome is
    /// unknown and it may be retried once the connection has recovered.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns><see langword="true"/> for a lost connection.</returns>
    public static bool IsConnectionLoss(Exception exception) => exception switch
    {
        TransportUnavailableException { IsTransient: false } => false,
        _ when IsChannelRefusal(exception, out _) => false,
        OperationInterruptedException or BrokerUnreachableException or IOException or SocketException or ObjectDisposedException => true,
        _ when exception.InnerException is { } inner => IsConnectionLoss(inner),
        _ => false,
    };

    /// <summary>Whether a failed connection attempt failed for a reason that waiting cannot cure: refused credentials
    /// (<c>ACCESS_REFUSED</c>), a virtual host that does not exist or may not be used (<c>NOT_ALLOWED</c>, 530), or
    /// access refused to it (403).</summary>
    /// <param name="exception">What <c>CreateConnectionAsync</c> threw.</param>
    /// <param name="cause">The broker's words for it.</param>
    /// <returns><see langword="true"/> when retrying is pointless.</returns>
    public static bool IsPermanentConnectFailure(Exception exception, out string cause)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationFailureException or PossibleAuthenticationFailureException)
            {
                cause = inner.Message;
                return true;
            }

            if (ReasonOf(inner) is { ReplyCode: NotAllowed or AccessRefused } reason)
            {
                cause = $"{reason.ReplyCode} {reason.ReplyText}";
                return true;
            }
        }

        cause = string.Empty;
        return false;
    }

    /// <summary>The broker's text for a refused operation, for error messages.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>The reply code and text, or the exception's message.</returns>
    public static string Describe(Exception exception) => ReasonOf(exception) is { } reason
        ? $"{reason.ReplyCode} {reason.ReplyText}"
        : exception.Message;

    /// <summary>Reads one difference from a PRECONDITION_FAILED text such as
    /// <c>inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received 'quorum' but current is 'classic'</c>.</summary>
    /// <param name="replyText">The broker's reply text.</param>
    /// <param name="difference">The argument, and its existing value (<see langword="null"/> when it is not set).</param>
    /// <returns><see langword="true"/> when the text names a difference.</returns>
    public static bool TryReadInequivalentArgument(string replyText, out (string Argument, object? Current) difference)
    {
        difference = default;
        var match = InequivalentArgument().Match(replyText);
        if (!match.Success)
        {
            return false;
        }

        difference = (match.Groups["arg"].Value, ParseValue(match.Groups["current"].Value));
        return true;
    }

    private static object? ParseValue(string text)
    {
        if (text == "none")
        {
            return null;
        }

        var typed = TypedValue().Match(text);
        if (typed.Success)
        {
            var value = typed.Groups["value"].Value;
            return typed.Groups["type"].Value switch
            {
                "long" or "signedint" or "short" or "byte" or "unsignedbyte" or "unsignedshort" or "unsignedint"
                    when long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) => number,
                "bool" => value == "true",
                _ => value,
            };
        }

        var quoted = text.Length >= 2 && text[0] == '\'' && text[^1] == '\'' ? text[1..^1] : text;
        return quoted switch
        {
            "true" => true,
            "false" => false,
            _ => quoted,
        };
    }

    [GeneratedRegex(@"inequivalent arg '(?<arg>[^']+)' for (?:queue|exchange) '[^']*' in vhost '[^']*': received (?<received>none|'[^']*'|the value '[^']*' of type '[^']*') but current is (?<current>none|'[^']*'|the value '[^']*' of type '[^']*')", RegexOptions.CultureInvariant)]
    private static partial Regex InequivalentArgument();

    [GeneratedRegex(@"^the value '(?<value>[^']*)' of type '(?<type>[^']*)'$", RegexOptions.CultureInvariant)]
    private static partial Regex TypedValue();
}

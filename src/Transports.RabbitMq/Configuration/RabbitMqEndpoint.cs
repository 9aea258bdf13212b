using System.Reflection;
using System.Text;
using Messaging.Adapters.RabbitMq.Connection;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq.Configuration;

/// <summary>
/// The broker's address as it may be shown (password hidden), and the RabbitMQ.Client connection factory built from
/// the options.
/// </summary>
internal static class RabbitMqEndpoint
{
    /// <summary>Shows a broker URI with its password replaced by <c>***</c>: safe for logs and exception messages.</summary>
    /// <param name="uri">The URI, or <see langword="null"/>.</param>
    /// <returns>The description.</returns>
    public static string Describe(Uri? uri)
    {
        if (uri is null)
        {
            return "(not set)";
        }

        if (!uri.IsAbsoluteUri)
        {
            return "(not an absolute URI)";
        }

        var text = new StringBuilder().Append(uri.Scheme).Append("://");
        var userInfo = uri.UserInfo;
        if (userInfo.Length > 0)
        {
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            text.Append(colon < 0 ? userInfo : userInfo[..colon]).Append(colon < 0 ? "@" : ":***@");
        }

        text.Append(uri.Host);
        if (!uri.IsDefaultPort)
        {
            text.Append(':').Append(uri.Port);
        }

        return text.Append(uri.AbsolutePath).ToString();
    }

    /// <summary>Shows a broker address given as text, which may not even parse as a URI, with whatever stands between
    /// <c>user:</c> and the last <c>@</c> replaced by <c>***</c>: safe for messages whatever is malformed.</summary>
    /// <param name="text">The configured text.</param>
    /// <returns>The description.</returns>
    public static string MaskText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var at = text.LastIndexOf('@');
        if (at < 0)
        {
            return text;
        }

        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        var start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
        var colon = text.IndexOf(':', start);
        var userEnd = colon >= 0 && colon < at ? colon : at;
        return string.Concat(text.AsSpan(0, userEnd), ":***", text.AsSpan(at));
    }

    /// <summary>Parses the configured address; on failure, says why with the password hidden.</summary>
    /// <param name="text">The configured text.</param>
    /// <param name="uri">The URI.</param>
    /// <param name="problem">Why it is not one, with the text masked.</param>
    /// <returns>Whether it parsed as an absolute URI.</returns>
    public static bool TryParse(string text, out Uri? uri, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            uri = new Uri(text.Trim(), UriKind.Absolute);
            problem = null;
            return true;
        }
        catch (UriFormatException ex)
        {
            uri = null;
            problem = $"is not a valid URI ({ex.Message.TrimEnd('.')}): {MaskText(text.Trim())}. A user name or password holding # / ? @ : or % must be percent-encoded (%23 %2F %3F %40 %3A %25)";
            return false;
        }
    }

    /// <summary>Whether the options connect with TLS: the <c>amqps</c> scheme or <c>Tls:Enabled</c>.</summary>
    /// <param name="options">The options.</param>
    /// <returns><see langword="true"/> for TLS.</returns>
    public static bool UsesTls(RabbitMqTransportOptions options) =>
        options.Tls is { Enabled: true } || string.Equals(options.Uri?.Scheme, "amqps", StringComparison.OrdinalIgnoreCase);

    /// <summary>The endpoint the transport really connects to, for logs and messages, password hidden: with
    /// <c>Tls:Enabled</c> and an <c>amqp://</c> URI, <c>amqps://</c> and the TLS port, not the plain address.</summary>
    /// <param name="options">The options.</param>
    /// <returns>The description.</returns>
    public static string DescribeConnection(RabbitMqTransportOptions options)
    {
        var uri = options.Uri;
        if (uri is not { IsAbsoluteUri: true } || !UsesTls(options) || string.Equals(uri.Scheme, "amqps", StringComparison.OrdinalIgnoreCase))
        {
            return Describe(uri);
        }

        var tls = new UriBuilder(uri) { Scheme = "amqps", Port = uri.IsDefaultPort ? AmqpTcpEndpoint.DefaultAmqpSslPort : uri.Port };
        return Describe(tls.Uri);
    }

    /// <summary>The virtual host a URI names (<c>/</c> when its path is empty or <c>/</c>).</summary>
    /// <param name="uri">The URI.</param>
    /// <returns>The virtual host.</returns>
    public static string VirtualHost(Uri uri) =>
        uri.AbsolutePath is "" or "/" ? "/" : Uri.UnescapeDataString(uri.AbsolutePath[1..]);

    /// <summary>Builds the connection factory: automatic connection recovery on, recovery of consumers on except the
    /// ones the transport manages itself, no re-declaration of entities (they are durable and are declared again
    /// on use, so a recovering connection never resurrects what someone deleted).</summary>
    /// <param name="options">The validated options.</param>
    /// <param name="isManagedConsumerTag">Whether a consumer tag belongs to a consumer the transport recovers itself.</param>
    /// <returns>The factory.</returns>
    /// <param name="certificateCheck">Verifies the server's certificate when TLS is on (see
    /// <see cref="ServerCertificateCheck"/>); <see langword="null"/> for RabbitMQ.Client's own check.</param>
    public static ConnectionFactory CreateFactory(RabbitMqTransportOptions options, Func<string, bool> isManagedConsumerTag, ServerCertificateCheck? certificateCheck = null)
    {
        var uri = options.Uri ?? throw new InvalidOperationException("Messaging:RabbitMq:Uri is required.");
        var factory = new ConnectionFactory
        {
            Uri = uri,
            ClientProvidedName = options.ClientName ?? Assembly.GetEntryAssembly()?.GetName().Name ?? "Messaging.Adapters",
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            TopologyRecoveryFilter = new TopologyRecoveryFilter
            {
                ExchangeFilter = _ => false,
                QueueFilter = _ => false,
                BindingFilter = _ => false,
                ConsumerFilter = consumer => !isManagedConsumerTag(consumer.ConsumerTag),
            },
            NetworkRecoveryInterval = options.RecoveryInterval,
            RequestedHeartbeat = options.Heartbeat,
        };

        var tls = options.Tls;
        if (tls.Enabled || string.Equals(uri.Scheme, "amqps", StringComparison.OrdinalIgnoreCase))
        {
            factory.Ssl = new SslOption
            {
                Enabled = true,
                ServerName = tls.ServerName ?? uri.Host,
                CertPath = tls.ClientCertificatePath ?? string.Empty,
                CertPassphrase = tls.ClientCertificatePassphrase ?? string.Empty,
                CertificateValidationCallback = certificateCheck is null ? null : certificateCheck.Validate,
            };
            if (uri.IsDefaultPort && !string.Equals(uri.Scheme, "amqps", StringComparison.OrdinalIgnoreCase))
            {
                factory.Port = AmqpTcpEndpoint.DefaultAmqpSslPort;
            }
        }

        options.ConfigureConnectionFactory?.Invoke(factory);
        return factory;
    }
}

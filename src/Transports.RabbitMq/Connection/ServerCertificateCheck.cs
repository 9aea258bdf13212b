using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Messaging.Adapters.RabbitMq.Connection;

/// <summary>
/// Verifies the broker's TLS certificate: the machine's trust store, plus the certificate authority of
/// <see cref="RabbitMqTlsOptions.CaCertificate"/> when one is set, and the host name always. Remembers why the last
/// certificate was refused, so that the connection error can say it (an untrusted issuer and a host-name mismatch
/// otherwise both read "the remote certificate is invalid").
/// </summary>
/// <param name="serverName">The name the certificate must carry.</param>
/// <param name="trusted">Certificate authorities trusted beside the machine's; empty for none.</param>
internal sealed class ServerCertificateCheck(string serverName, X509Certificate2Collection trusted)
{
    private volatile string? _lastRefusal;

    /// <summary>Why the last certificate was refused, naming the setting that changes it; <see langword="null"/> when
    /// none was.</summary>
    public string? LastRefusal => _lastRefusal;

    /// <summary>Loads the certificate authorities of <see cref="RabbitMqTlsOptions.CaCertificate"/>: PEM text, or a PEM
    /// or DER file.</summary>
    /// <param name="setting">The option's value.</param>
    /// <returns>The certificates.</returns>
    /// <exception cref="ArgumentException">The file is missing or holds no certificate; the message names the
    /// setting and the path.</exception>
    public static X509Certificate2Collection LoadAuthorities(string? setting)
    {
        var authorities = new X509Certificate2Collection();
        if (string.IsNullOrWhiteSpace(setting))
        {
            return authorities;
        }

        const string Key = RabbitMqTransportOptions.SectionName + ":Tls:CaCertificate";
        var isPem = setting.Contains("-----BEGIN", StringComparison.Ordinal);
        if (!isPem && !File.Exists(setting))
        {
            throw new ArgumentException($"{Key}: the file '{setting}' does not exist (give a PEM or DER file of the certificate authority, or its PEM text).");
        }

        try
        {
            if (isPem)
            {
                authorities.ImportFromPem(setting);
            }
            else if (File.ReadAllText(setting).Contains("-----BEGIN", StringComparison.Ordinal))
            {
                authorities.ImportFromPemFile(setting);
            }
            else
            {
                authorities.Add(X509CertificateLoader.LoadCertificateFromFile(setting));
            }
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"{Key}: {(isPem ? "the PEM text" : $"the file '{setting}'")} holds no readable certificate ({ex.Message}).", ex);
        }

        return authorities.Count > 0
            ? authorities
            : throw new ArgumentException($"{Key}: {(isPem ? "the PEM text" : $"the file '{setting}'")} holds no certificate.");
    }

    /// <summary>The validation callback for <see cref="RabbitMQ.Client.SslOption.CertificateValidationCallback"/>.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        string? chainProblem = null;
        if (certificate is not null && errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            chainProblem = ChainProblem(certificate, chain);
            if (chainProblem is null)
            {
                errors &= ~SslPolicyErrors.RemoteCertificateChainErrors;
            }
        }

        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        _lastRefusal = Describe(errors, certificate, chainProblem);
        return false;
    }

    /// <summary>Builds the chain again trusting <paramref name="certificate"/>'s issuers from the configured
    /// authorities; <see langword="null"/> when it then holds.</summary>
    private string? ChainProblem(X509Certificate certificate, X509Chain? chain)
    {
        var statuses = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToList() ?? [];
        if (trusted.Count == 0)
        {
            return string.Join(", ", statuses);
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(trusted);

        // A private CA rarely publishes revocation lists where the client can reach them.
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(leaf) ? null : string.Join(", ", custom.ChainStatus.Select(s => s.Status.ToString()).Distinct());
    }

    private string Describe(SslPolicyErrors errors, X509Certificate? certificate, string? chainProblem)
    {
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable) || certificate is null)
        {
            return "the server presented no certificate";
        }

        var problems = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            var names = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToList();
            problems.Add($"its certificate is for {(names.Count > 0 ? string.Join(", ", names) : leaf.Subject)}, not '{serverName}' " +
                $"(connect by a name it carries, or set {RabbitMqTransportOptions.SectionName}:Tls:ServerName)");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            problems.Add($"its certificate, issued by '{certificate.Issuer}', is not trusted ({chainProblem}): trust that certificate authority with " +
                $"{RabbitMqTransportOptions.SectionName}:Tls:CaCertificate (a PEM file or text) or in the machine's trust store");
        }

        return string.Join("; and ", problems);
    }
}

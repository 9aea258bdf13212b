using Messaging.Adapters.RabbitMq.Configuration;
using Messaging.Adapters.RabbitMq.Tests.Support;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// TLS through a TLS front of the test's own (<see cref="TlsProxy"/>): a private certificate authority can be trusted
/// with an option, certificate errors say why and are not transient, file settings are checked naming the setting and
/// the path, and the endpoint shown is the one really used.
/// </summary>
public sealed class TlsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_server_certificate_from_an_untrusted_authority_fails_at_once_saying_so_and_is_not_transient()
    {
        using var certificates = TestCertificates.Issue("localhost");
        await using var proxy = TlsProxy.Start(certificates.Server, TestBroker.Uri);
        await using var transport = new RabbitMqTransport(TestBroker.Options(o => o.Uri = ThroughProxy(proxy)));

        var error = await Assert.ThrowsAsync<TransportUnavailableException>(() => transport.ConnectAsync(Ct));

        Assert.False(error.IsTransient, error.Message);
        Assert.Contains("is not trusted", error.Message, StringComparison.Ordinal);
        Assert.Contains("Messaging:RabbitMq:Tls:CaCertificate", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestBroker.Credentials, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_private_authority_given_as_a_file_or_as_PEM_text_is_trusted(bool asFile)
    {
        using var certificates = TestCertificates.Issue("localhost");
        await using var proxy = TlsProxy.Start(certificates.Server, TestBroker.Uri);
        var file = Path.Combine(Path.GetTempPath(), TestBroker.UniqueName("ca") + ".pem");
        await File.WriteAllTextAsync(file, certificates.AuthorityPem, Ct);
        var queue = TestBroker.UniqueName("tls");
        try
        {
            await using var transport = new RabbitMqTransport(TestBroker.Options(o =>
            {
                o.Uri = ThroughProxy(proxy);
                o.Tls.CaCertificate = asFile ? file : certificates.AuthorityPem;
            }));

            await transport.ConnectAsync(Ct);
            await transport.Queue.SendAsync(queue, new Envelope("tests.tls", new byte[] { 1 }), Ct);
            await transport.Topology.DeleteAsync(Destination.Queue(queue), Ct);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_host_name_mismatch_fails_naming_the_names_and_the_setting_and_ServerName_fixes_it()
    {
        using var certificates = TestCertificates.Issue("rabbit.internal.example");
        await using var proxy = TlsProxy.Start(certificates.Server, TestBroker.Uri);
        await using (var mismatched = new RabbitMqTransport(TestBroker.Options(o =>
        {
            o.Uri = ThroughProxy(proxy);
            o.Tls.CaCertificate = certificates.AuthorityPem;
        })))
        {
            var error = await Assert.ThrowsAsync<TransportUnavailableException>(() => mismatched.ConnectAsync(Ct));

            Assert.False(error.IsTransient, error.Message);
            Assert.Contains("its certificate is for rabbit.internal.example, not 'localhost'", error.Message, StringComparison.Ordinal);
            Assert.Contains("Messaging:RabbitMq:Tls:ServerName", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("is not trusted", error.Message, StringComparison.Ordinal);
        }

        await using var named = new RabbitMqTransport(TestBroker.Options(o =>
        {
            o.Uri = ThroughProxy(proxy);
            o.Tls.CaCertificate = certificates.AuthorityPem;
            o.Tls.ServerName = "rabbit.internal.example";
        }));
        await named.ConnectAsync(Ct);
    }

    [Fact]
    public void Missing_certificate_files_stop_start_up_naming_the_setting_and_the_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), TestBroker.UniqueName("missing") + ".p12");
        var options = TestBroker.Options(o =>
        {
            o.Tls.Enabled = true;
            o.Tls.ClientCertificatePath = missing;
            o.Tls.CaCertificate = missing + ".pem";
        });

        var problems = RabbitMqTransportOptionsValidator.FindProblems(options);

        Assert.Contains($"Messaging:RabbitMq:Tls:ClientCertificatePath: the file '{missing}' does not exist (a PKCS#12 file with the client certificate and its key).", problems);
        Assert.Contains(problems, p => p.StartsWith($"Messaging:RabbitMq:Tls:CaCertificate: the file '{missing}.pem' does not exist", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("amqp://app:secret@rabbit.example.com/shop", true, "amqps://app:***@rabbit.example.com:5671/shop")]
    [InlineData("amqp://app:secret@rabbit.example.com:5673/shop", true, "amqps://app:***@rabbit.example.com:5673/shop")]
    [InlineData("amqps://app:secret@rabbit.example.com/shop", false, "amqps://app:***@rabbit.example.com/shop")]
    [InlineData("amqp://app:secret@rabbit.example.com/shop", false, "amqp://app:***@rabbit.example.com/shop")]
    public async Task The_endpoint_shown_is_the_one_connected_to(string uri, bool tlsEnabled, string expected)
    {
        await using var transport = new RabbitMqTransport(new RabbitMqTransportOptions { Uri = new Uri(uri), Tls = { Enabled = tlsEnabled } });

        Assert.Equal(expected, transport.Endpoint);
        Assert.Equal(expected, RabbitMqEndpoint.DescribeConnection(transport.Options));
    }

    private static Uri ThroughProxy(TlsProxy proxy) =>
        new UriBuilder(TestBroker.Uri) { Scheme = "amqps", Host = "localhost", Port = proxy.Port }.Uri;
}

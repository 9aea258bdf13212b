using System.Diagnostics;
using Messaging.Adapters.RabbitMq.Tests.Support;

namespace Messaging.Adapters.RabbitMq.Tests.Broker;

/// <summary>
/// Errors that waiting cannot cure (an unknown virtual host, refused credentials) fail at once, as not transient,
/// naming the cause; never with the password.
/// </summary>
public sealed class ConnectionErrorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_unknown_virtual_host_fails_at_once_naming_it_and_is_not_transient()
    {
        var uri = new UriBuilder(TestBroker.Uri) { Path = "/" + TestBroker.UniqueName("no-such-vhost") }.Uri;
        await using var transport = new RabbitMqTransport(TestBroker.Options(o => o.Uri = uri));
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TransportUnavailableException>(async () => await transport.Queue.SendAsync("anything", new Envelope("t", new byte[] { 1 }), Ct));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.False(error.IsTransient, error.Message);
        Assert.Contains("vhost", error.Message, StringComparison.Ordinal);
        Assert.Contains(uri.AbsolutePath.TrimStart('/'), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestBroker.Credentials, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_credentials_fail_at_once_and_are_not_transient_and_never_show_the_password()
    {
        var uri = new UriBuilder(TestBroker.Uri) { UserName = "nobody-" + Guid.NewGuid().ToString("N")[..6], Password = "Sup3rS3cret" }.Uri;
        await using var transport = new RabbitMqTransport(TestBroker.Options(o => o.Uri = uri));
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TransportUnavailableException>(async () => await transport.Queue.SendAsync("anything", new Envelope("t", new byte[] { 1 }), Ct));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.False(error.IsTransient, error.Message);
        Assert.Contains("ACCESS_REFUSED", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Sup3rS3cret", error.ToString(), StringComparison.Ordinal);
    }
}

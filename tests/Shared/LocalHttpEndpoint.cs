using System.Net;
using System.Net.Sockets;

namespace Messaging.Adapters.Tests.Http;

/// <summary>
/// An HTTP endpoint of the tests' own on a free port of 127.0.0.1, handing each request to <see cref="HandleAsync"/>
/// until disposed: the AWS tests' stand-in services and the samples' stand-in OTLP collector.
/// </summary>
internal abstract class LocalHttpEndpoint : IAsyncDisposable
{
    private const int PortAttempts = 5;

    private HttpListener _listener = new();
    private Task _serving = Task.CompletedTask;

    /// <summary>Where the endpoint listens, once <see cref="Start"/> has run.</summary>
    public Uri Uri { get; private set; } = new("http://127.0.0.1/");

    public virtual async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _serving;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Starts listening; called by the derived class once it is ready to handle requests.</summary>
    protected void Start()
    {
        for (var attempt = 1; ; attempt++)
        {
            Uri = new Uri($"http://127.0.0.1:{FreePort()}/");
            _listener.Prefixes.Add(Uri.ToString());
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < PortAttempts)
            {
                // Another process (test projects run in parallel) took the free port between the probe and the bind:
                // another port, on a fresh listener (a listener that failed to start cannot be started again).
                _listener.Close();
                _listener = new HttpListener();
            }
        }

        _serving = ServeAsync();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Answers one request.</summary>
    protected abstract Task HandleAsync(HttpListenerContext context);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = HandleAsync(context);
        }
    }
}

using System.Net;
using System.Net.Sockets;

namespace Messaging.Adapters.Tests.Http;

/// <summary>
/// An HTTP endpoint of the tests' own on a free port of 127.0.0.1, handing each request to <see cref="HandleAsync"/>
/// until disposed: the AWS tests' stand-in services and the samples' stand-in OTLP collector.
/// </summary>
internal abstract class LocalHttpEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private Task _serving = Task.CompletedTask;

    protected LocalHttpEndpoint()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Uri = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Uri.ToString());
    }

    public Uri Uri { get; }

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
        _listener.Start();
        _serving = ServeAsync();
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

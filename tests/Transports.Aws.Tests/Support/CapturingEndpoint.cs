using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Messaging.Adapters.Aws.Tests.Support;

/// <summary>
/// A local HTTP endpoint on 127.0.0.1 that records every request and answers each with the next scripted answer (the
/// last one repeats), for comparing what clients send and for making a service misbehave.
/// </summary>
internal sealed class CapturingEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<(HttpStatusCode Status, string Body)> _answers = new();
    private (HttpStatusCode Status, string Body) _last = (HttpStatusCode.OK, "<Response><Result/></Response>");
    private readonly Task _serving;

    public CapturingEndpoint()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Uri = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Uri.ToString());
        _listener.Start();
        _serving = ServeAsync();
    }

    public Uri Uri { get; }

    public ConcurrentQueue<CapturedRequest> Requests { get; } = new();

    /// <summary>Answers the next requests with these, in order; the last one answers every request after them.</summary>
    public void Answer(params (HttpStatusCode Status, string Body)[] answers)
    {
        foreach (var answer in answers)
        {
            _answers.Enqueue(answer);
        }
    }

    public async ValueTask DisposeAsync()
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

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!.ToLowerInvariant(), k => context.Request.Headers[k]!, StringComparer.Ordinal);
            Requests.Enqueue(new CapturedRequest(context.Request.HttpMethod, context.Request.RawUrl ?? "/", headers, body));
            if (_answers.TryDequeue(out var answer))
            {
                _last = answer;
            }
            else
            {
                answer = _last;
            }

            context.Response.StatusCode = (int)answer.Status;
            context.Response.ContentType = "text/xml";
            var bytes = Encoding.UTF8.GetBytes(answer.Body);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }
}

/// <summary>One request as the endpoint received it.</summary>
internal sealed record CapturedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The form parameters of a Query-protocol body, decoded, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Form() =>
        [.. Body.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            return new KeyValuePair<string, string>(Uri.UnescapeDataString(pair[..at]), Uri.UnescapeDataString(pair[(at + 1)..]));
        })];
}

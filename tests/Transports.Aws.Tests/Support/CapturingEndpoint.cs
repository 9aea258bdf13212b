using System.Collections.Concurrent;
using System.Net;
using System.Text;

using Messaging.Adapters.Tests.Http;

namespace Messaging.Adapters.Aws.Tests.Support;

/// <summary>
/// A local HTTP endpoint on 127.0.0.1 that records every request and answers each with the next scripted answer (the
/// last one repeats), for comparing what clients send and for making a service misbehave.
/// </summary>
internal sealed class CapturingEndpoint : LocalHttpEndpoint
{
    private readonly ConcurrentQueue<(HttpStatusCode Status, string Body)> _answers = new();
    private readonly Lock _gate = new();
    private (HttpStatusCode Status, string Body) _last = (HttpStatusCode.OK, "<Response><Result/></Response>");

    public CapturingEndpoint() => Start();

    public ConcurrentQueue<CapturedRequest> Requests { get; } = new();

    /// <summary>Answers the next requests with these, in order; the last one answers every request after them.</summary>
    public void Answer(params (HttpStatusCode Status, string Body)[] answers)
    {
        foreach (var answer in answers)
        {
            _answers.Enqueue(answer);
        }
    }

    protected override async Task HandleAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!.ToLowerInvariant(), k => context.Request.Headers[k]!, StringComparer.Ordinal);
        (HttpStatusCode Status, string Body) answer;
        lock (_gate)
        {
            Requests.Enqueue(new CapturedRequest(context.Request.HttpMethod, context.Request.RawUrl ?? "/", headers, body));
            if (_answers.TryDequeue(out answer))
            {
                _last = answer;
            }
            else
            {
                answer = _last;
            }
        }

        context.Response.StatusCode = (int)answer.Status;
        context.Response.ContentType = "text/xml";
        await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(answer.Body));
        context.Response.Close();
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

using System.Collections.Concurrent;
using System.Net;
using Messaging.Adapters.Tests.Http;

namespace Messaging.Adapters.Integration.Samples;

/// <summary>
/// A stand-in for an OpenTelemetry collector's OTLP/HTTP receiver on a free loopback port: it answers every request
/// with 200 (an empty protobuf message is an empty export response) and keeps what arrived, so a test can see what a
/// program exported.
/// </summary>
internal sealed class OtlpHttpCollector : LocalHttpEndpoint
{
    private readonly ConcurrentQueue<Request> _requests = new();

    /// <summary>Starts listening.</summary>
    public OtlpHttpCollector() => Start();

    /// <summary>The base endpoint, as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> takes it (the exporter adds <c>/v1/traces</c>).</summary>
    public Uri Endpoint => Uri;

    /// <summary>What arrived so far, in order.</summary>
    public IReadOnlyList<Request> Requests => [.. _requests];

    /// <inheritdoc />
    protected override async Task HandleAsync(HttpListenerContext context)
    {
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        _requests.Enqueue(new Request(context.Request.HttpMethod, context.Request.Url?.AbsolutePath ?? "", context.Request.ContentType, body.ToArray()));
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-protobuf";
        context.Response.Close();
    }

    /// <summary>One request the collector received.</summary>
    /// <param name="Method">The HTTP method.</param>
    /// <param name="Path">The path (<c>/v1/traces</c>, <c>/v1/metrics</c>).</param>
    /// <param name="ContentType">The content type (<c>application/x-protobuf</c> for OTLP/HTTP protobuf).</param>
    /// <param name="Body">The body.</param>
    public sealed record Request(string Method, string Path, string? ContentType, byte[] Body);
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

using Messaging.Adapters.Tests.Http;

namespace Messaging.Adapters.Aws.Tests.Support;

/// <summary>
/// A proxy in front of the emulator (which checks no signatures) that verifies each request's SigV4 signature the way
/// AWS does, with its own implementation of the algorithm, and answers a bad one with AWS's
/// <c>SignatureDoesNotMatch</c> (403) instead of forwarding it; so a wrong signature fails here as it would on AWS.
/// </summary>
internal sealed class SigV4VerifyingProxy : LocalHttpEndpoint
{
    private readonly HttpClient _forward = new();
    private readonly Uri _target;
    private readonly string _accessKey;
    private readonly string _secretKey;

    public SigV4VerifyingProxy(Uri target, string accessKey, string secretKey)
    {
        _target = target;
        _accessKey = accessKey;
        _secretKey = secretKey;
        Start();
    }

    /// <summary>The operations forwarded after their signature was verified (SNS <c>Action</c> or SQS <c>X-Amz-Target</c>).</summary>
    public ConcurrentQueue<string> Verified { get; } = new();

    /// <summary>Why each refused request was refused.</summary>
    public ConcurrentQueue<string> Refused { get; } = new();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _forward.Dispose();
    }

    /// <summary>Why the signature is wrong, or <see langword="null"/> when it is right.</summary>
    internal static string? Verify(string method, string pathAndQuery, IReadOnlyDictionary<string, string> headers, byte[] body, string accessKey, string secretKey)
    {
        if (!headers.TryGetValue("authorization", out var authorization) || !authorization.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal))
        {
            return "no AWS4-HMAC-SHA256 Authorization header";
        }

        var parts = authorization["AWS4-HMAC-SHA256 ".Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);
        if (!parts.TryGetValue("Credential", out var credential) || !parts.TryGetValue("SignedHeaders", out var signedHeaders) || !parts.TryGetValue("Signature", out var signature))
        {
            return "the Authorization header lacks Credential, SignedHeaders or Signature";
        }

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return $"malformed credential scope '{credential}'";
        }

        if (scope[0] != accessKey)
        {
            return $"unknown access key '{scope[0]}'";
        }

        if (!headers.TryGetValue("x-amz-date", out var amzDate) || !amzDate.StartsWith(scope[1], StringComparison.Ordinal))
        {
            return "x-amz-date is missing or does not match the credential scope's date";
        }

        var names = signedHeaders.Split(';');
        if (!names.Contains("host"))
        {
            return "the host header is not signed";
        }

        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(body));
        if (headers.TryGetValue("x-amz-content-sha256", out var declared) && declared != "UNSIGNED-PAYLOAD" && declared != payloadHash)
        {
            return "x-amz-content-sha256 does not match the body";
        }

        var queryAt = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var path = queryAt < 0 ? pathAndQuery : pathAndQuery[..queryAt];
        var query = queryAt < 0 ? "" : pathAndQuery[(queryAt + 1)..];
        var canonicalQuery = string.Join('&', query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Select(p => (Key: Encode(Uri.UnescapeDataString(p[0])), Value: Encode(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));
        var canonicalHeaders = new StringBuilder();
        foreach (var name in names)
        {
            if (!headers.TryGetValue(name, out var value))
            {
                return $"signed header '{name}' is not in the request";
            }

            canonicalHeaders.Append(name).Append(':').Append(string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))).Append('\n');
        }

        var canonicalPath = string.Join('/', path.Split('/').Select(segment => Encode(Uri.UnescapeDataString(segment))));
        var canonicalRequest = $"{method}\n{(canonicalPath.Length == 0 ? "/" : canonicalPath)}\n{canonicalQuery}\n{canonicalHeaders}\n{signedHeaders}\n{(declared is { } d && d == "UNSIGNED-PAYLOAD" ? d : payloadHash)}";
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{string.Join('/', scope[1..])}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var key = Encoding.UTF8.GetBytes("AWS4" + secretKey);
        foreach (var part in new[] { scope[1], scope[2], scope[3], "aws4_request" })
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? null
            : "the signature does not match the request";
    }

    private static string Encode(string text) => Uri.EscapeDataString(text);

    protected override async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!.ToLowerInvariant(), k => context.Request.Headers[k]!, StringComparer.Ordinal);
            var operation = headers.TryGetValue("x-amz-target", out var target) ? target : Encoding.UTF8.GetString(body).Split('&').FirstOrDefault(p => p.StartsWith("Action=", StringComparison.Ordinal)) ?? "?";
            if (Verify(context.Request.HttpMethod, context.Request.RawUrl ?? "/", headers, body, _accessKey, _secretKey) is { } problem)
            {
                Refused.Enqueue($"{operation}: {problem}");
                await RefuseAsync(context, headers, problem);
                return;
            }

            Verified.Enqueue(operation);
            using var forward = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), new Uri(_target, context.Request.RawUrl));
            forward.Content = new ByteArrayContent(body);
            foreach (var (name, value) in headers)
            {
                if (name is "content-length" or "connection" or "expect" or "transfer-encoding")
                {
                    continue;
                }

                if (name == "host")
                {
                    // Queue URLs name the host the client used: the proxy, so that every later request comes back here.
                    forward.Headers.Host = value;
                }
                else if (!forward.Headers.TryAddWithoutValidation(name, value))
                {
                    forward.Content.Headers.TryAddWithoutValidation(name, value);
                }
            }

            using var response = await _forward.SendAsync(forward);
            var answer = await response.Content.ReadAsByteArrayAsync();
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (header.Key is "Content-Length" or "Transfer-Encoding" or "Connection" or "Keep-Alive")
                {
                    continue;
                }

                context.Response.Headers[header.Key] = string.Join(",", header.Value);
            }

            await context.Response.OutputStream.WriteAsync(answer);
            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or HttpRequestException or IOException)
        {
            context.Response.Abort();
        }
    }

    private static async Task RefuseAsync(HttpListenerContext context, Dictionary<string, string> headers, string problem)
    {
        context.Response.StatusCode = 403;
        string body;
        if (headers.ContainsKey("x-amz-target"))
        {
            // SQS's JSON protocol.
            context.Response.ContentType = "application/x-amz-json-1.0";
            context.Response.Headers["x-amzn-query-error"] = "SignatureDoesNotMatch;Sender";
            body = $"{{\"__type\":\"com.amazon.coral.service#SignatureDoesNotMatch\",\"message\":\"{problem}\"}}";
        }
        else
        {
            context.Response.ContentType = "text/xml";
            body = $"<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>{problem}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>";
        }

        await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(body));
        context.Response.Close();
    }
}

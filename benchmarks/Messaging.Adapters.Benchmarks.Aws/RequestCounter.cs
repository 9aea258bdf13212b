using System.Collections.Concurrent;
using Amazon.Runtime;

namespace Messaging.Adapters.Benchmarks.Aws;

/// <summary>
/// Counts the HTTP requests SQS clients make, by operation (AWSSDK.SQS 4 speaks SQS's JSON protocol, which names the
/// operation in <c>X-Amz-Target: AmazonSQS.&lt;Operation&gt;</c>): the HTTP client factory of both the adapter's SQS
/// client (through <c>AwsTransportOptions.ConfigureSqs</c>) and the raw one, so both are counted on the wire alike,
/// retries included.
/// </summary>
internal sealed class RequestCounter : HttpClientFactory
{
    private const string TargetPrefix = "AmazonSQS.";
    private readonly ConcurrentDictionary<string, long> _requests = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        ArgumentNullException.ThrowIfNull(clientConfig);
        return new HttpClient(new Counting(this, new SocketsHttpHandler()))
        {
            // A long poll waits up to 20 s: the client's own timeout (the adapter sets one above that), else 100 s.
            Timeout = clientConfig.Timeout ?? TimeSpan.FromSeconds(100),
        };
    }

    /// <summary>The requests made so far, by operation.</summary>
    public RequestCounts Snapshot() => new(new Dictionary<string, long>(_requests, StringComparer.Ordinal));

    private sealed class Counting(RequestCounter counter, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var operation = request.Headers.TryGetValues("X-Amz-Target", out var targets) && targets.FirstOrDefault() is { } target
                ? target.StartsWith(TargetPrefix, StringComparison.Ordinal) ? target[TargetPrefix.Length..] : target
                : "(no X-Amz-Target)";
            counter._requests.AddOrUpdate(operation, 1, static (_, n) => n + 1);
            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>Requests by operation at one moment; subtract an earlier snapshot for what a run made.</summary>
internal sealed record RequestCounts(IReadOnlyDictionary<string, long> ByOperation)
{
    public long this[string operation] => ByOperation.GetValueOrDefault(operation);

    /// <summary>What was made since <paramref name="earlier"/>.</summary>
    public RequestCounts Since(RequestCounts earlier) =>
        new(ByOperation.ToDictionary(o => o.Key, o => o.Value - earlier[o.Key], StringComparer.Ordinal));

    /// <summary>Messages per request of <paramref name="operation"/>.</summary>
    public double PerRequest(int messages, string operation) => this[operation] == 0 ? 0 : messages / (double)this[operation];

    /// <summary>The operations other than sends, receives and deletes (visibility changes, lookups), for the report.</summary>
    public string Others() =>
        string.Join(", ", ByOperation.Where(o => o.Value > 0 && o.Key is not ("SendMessageBatch" or "ReceiveMessage" or "DeleteMessageBatch")).Select(o => $"{o.Key} {o.Value}")) is { Length: > 0 } text ? text : "none";
}

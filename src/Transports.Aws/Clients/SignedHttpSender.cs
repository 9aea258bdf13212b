using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;

namespace Messaging.Adapters.Aws.Clients;

/// <summary>
/// Sends requests of the transport's own AWS protocol clients (SNS Query, EventBridge JSON) signed with AWSSDK.Core's
/// SigV4 signer, and retries what AWS says to retry: throttling codes, 429 and 5xx answers, no answer at all, with
/// full-jitter exponential backoff (<see cref="RetryBackoff"/>). Other errors become <see cref="AwsServiceException"/>
/// (<see cref="AwsDestinationNotFoundException"/> for the protocol's not-found codes) naming the destination.
/// </summary>
internal sealed class SignedHttpSender : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _service;
    private readonly int _maxErrorRetry;
    private readonly Random _jitter = new();

    public SignedHttpSender(AWSCredentials credentials, RegionEndpoint region, string signingName, string service, Uri endpoint, int maxErrorRetry, HttpMessageHandler? innerHandler)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(region);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentOutOfRangeException.ThrowIfNegative(maxErrorRetry);
        Endpoint = endpoint;
        _service = service;
        _maxErrorRetry = maxErrorRetry;
        var signer = new SigV4SigningHandler(credentials, region, signingName, innerHandler ?? DefaultHandler());
        _http = new HttpClient(signer) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Endpoint { get; }

    /// <summary>The connection handler when the caller gives none: connections renewed every few minutes, so a
    /// changed DNS answer for the endpoint is picked up.</summary>
    public static HttpMessageHandler DefaultHandler() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };

    /// <summary>Sends a request made by <paramref name="createRequest"/> (once per attempt: a signed request cannot be
    /// sent twice) and returns the answer's text.</summary>
    public async Task<string> SendAsync(
        string operation,
        string destination,
        Func<HttpRequestMessage> createRequest,
        Func<string, (string Code, string Message)> parseError,
        IReadOnlySet<string> notFoundCodes,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = createRequest();
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                if (attempt < _maxErrorRetry)
                {
                    await WaitBeforeRetryAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                throw new AwsServiceException(_service, operation, destination, "", 0, $"no answer from {Endpoint} after {attempt + 1} attempt(s): {ex.Message}", isTransient: true, ex);
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return text;
                }

                var (code, message) = parseError(text);
                var transient = response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500 || RetryBackoff.IsThrottling(code);
                if (transient && attempt < _maxErrorRetry)
                {
                    await WaitBeforeRetryAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (notFoundCodes.Contains(code))
                {
                    throw new AwsDestinationNotFoundException(_service, operation, destination, code, response.StatusCode, message);
                }

                throw new AwsServiceException(_service, operation, destination, code, response.StatusCode, message, transient);
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private Task WaitBeforeRetryAsync(int retry, CancellationToken cancellationToken)
    {
        TimeSpan delay;
        lock (_jitter)
        {
            delay = RetryBackoff.Delay(retry, _jitter);
        }

        return Task.Delay(delay, cancellationToken);
    }
}

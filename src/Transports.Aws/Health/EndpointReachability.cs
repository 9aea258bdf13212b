using System.Net.Sockets;
using Amazon.Runtime;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Aws.Health;

/// <summary>
/// Whether the AWS endpoints answer, from the requests the transport makes anyway (sends, publishes, the consumers'
/// long polls, settlements): an endpoint counts as unreachable from a request that got no answer at all (refused or
/// broken connection, DNS failure, timeout) until one of its requests is answered again. No request is made for it.
/// </summary>
/// <remarks>An answer that is an error (access denied, a missing queue, throttling, a 5xx) still means the endpoint is
/// reachable: the failure belongs to that request, not to the connection. While a consumer runs, its long polls keep
/// the SQS state at most a receive wait old; with nothing running, the state is that of the last request, and a
/// transport that has made none counts as reachable (it connects on first use).</remarks>
internal sealed class EndpointReachability : ITransportHealth
{
    // Endpoint ("SQS at https://...") -> why its last request got no answer, for the endpoints unreachable now.
    private readonly UnreachableParts _unanswered = new();
    private readonly string _endpoints;

    /// <summary>Creates the state for the endpoints named in <paramref name="endpoints"/> (for the description).</summary>
    public EndpointReachability(string endpoints) => _endpoints = endpoints;

    /// <inheritdoc />
    public TransportHealth CurrentHealth =>
        _unanswered.Describe($"AWS ({_endpoints}): the last requests were answered.", "AWS is unreachable: ");

    /// <summary>Records that a request to <paramref name="endpoint"/> was answered.</summary>
    public void Answered(string endpoint) => _unanswered.Clear(endpoint);

    /// <summary>Records a request's failure: unreachable when it got no answer, answered otherwise.</summary>
    public void Failed(string endpoint, Exception error)
    {
        if (IsNoAnswer(error))
        {
            _unanswered.Mark(endpoint, "no answer (" + Innermost(error).Message + ")");
        }
        else if (error is not OperationCanceledException)
        {
            Answered(endpoint);
        }
    }

    /// <summary>Follows the outcomes of an AWS SDK client's requests (every attempt, retries included).</summary>
    /// <returns>What stops following them.</returns>
    public IDisposable Observe(AmazonServiceClient client, string endpoint)
    {
        ResponseEventHandler answered = (_, _) => Answered(endpoint);
        ExceptionEventHandler failed = (_, args) =>
        {
            if (args is WebServiceExceptionEventArgs { Exception: { } error })
            {
                Failed(endpoint, error);
            }
        };
        client.AfterResponseEvent += answered;
        client.ExceptionEvent += failed;
        return new Unsubscriber(() =>
        {
            client.AfterResponseEvent -= answered;
            client.ExceptionEvent -= failed;
        });
    }

    /// <summary>No answer: the failure comes from the connection (or its timeout), not from an HTTP response.</summary>
    private static bool IsNoAnswer(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case AmazonServiceException { StatusCode: not 0 }:
                    return false;
                case HttpRequestException { StatusCode: null }:
                case SocketException:
                case TimeoutException:
                    return true;
            }
        }

        return false;
    }

    private static Exception Innermost(Exception error)
    {
        while (error.InnerException is { } inner)
        {
            error = inner;
        }

        return error;
    }

    private sealed class Unsubscriber(Action unsubscribe) : IDisposable
    {
        public void Dispose() => unsubscribe();
    }
}

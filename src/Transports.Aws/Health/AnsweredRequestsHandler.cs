namespace Messaging.Adapters.Aws.Health;

/// <summary>
/// Reports every HTTP attempt of the transport's own SNS and EventBridge clients to <see cref="EndpointReachability"/>:
/// a response (whatever its status) is an answer; an exception from the connection is none.
/// </summary>
internal sealed class AnsweredRequestsHandler(EndpointReachability reachability, string endpoint) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            reachability.Answered(endpoint);
            return response;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            reachability.Failed(endpoint, ex);
            throw;
        }
    }
}

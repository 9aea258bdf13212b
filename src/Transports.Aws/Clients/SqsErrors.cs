using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Messaging.Adapters.Aws.Clients;

/// <summary>
/// Turns the AWS SDK's SQS errors into the transport's typed errors naming the queue (the SDK has already retried
/// throttling and 5xx answers with jittered backoff by then).
/// </summary>
internal static class SqsErrors
{
    /// <summary>Runs one SQS call and translates its failure.</summary>
    public static async Task<T> CallAsync<T>(string operation, string queue, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(operation, queue, ex) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The typed error for an SDK failure, or <see langword="null"/> for one that is not the service's
    /// (cancellation, a bug).</summary>
    public static AwsServiceException? Translate(string operation, string queue, Exception exception) => exception switch
    {
        QueueDoesNotExistException or AmazonSQSException { ErrorCode: "AWS.SimpleQueueService.NonExistentQueue" or "QueueDoesNotExist" } =>
            new AwsDestinationNotFoundException("SQS", operation, queue, ((AmazonServiceException)exception).ErrorCode ?? "QueueDoesNotExist", ((AmazonServiceException)exception).StatusCode, exception.Message, exception),
        AmazonServiceException service =>
            new AwsServiceException("SQS", operation, queue, service.ErrorCode ?? "", service.StatusCode, service.Message, IsTransient(service), exception),
        HttpRequestException or AmazonClientException =>
            new AwsServiceException("SQS", operation, queue, "", 0, exception.Message, isTransient: true, exception),
        _ => null,
    };

    private static bool IsTransient(AmazonServiceException exception) =>
        (int)exception.StatusCode >= 500 || (int)exception.StatusCode == 429 || RetryBackoff.IsThrottling(exception.ErrorCode ?? "")
        || exception.InnerException is HttpRequestException;
}

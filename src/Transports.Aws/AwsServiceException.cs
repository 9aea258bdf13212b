using System.Net;

namespace Messaging.Adapters.Aws;

/// <summary>
/// An AWS service (SQS, SNS) refused or failed a request; carries AWS's error code and the topic or queue concerned.
/// </summary>
/// <remarks>Transient failures (throttling, 5xx answers, lost connections) are retried with jittered backoff before
/// this is thrown; <see cref="IsTransient"/> says whether trying later may succeed.</remarks>
public class AwsServiceException : MessagingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="service">The service: <c>SQS</c> or <c>SNS</c>.</param>
    /// <param name="operation">The operation, for example <c>Publish</c>.</param>
    /// <param name="destination">The topic or queue concerned, as the application named it.</param>
    /// <param name="errorCode">AWS's error code, for example <c>AuthorizationError</c>; empty when there was no answer.</param>
    /// <param name="statusCode">The HTTP status of the answer; 0 when there was none.</param>
    /// <param name="detail">AWS's error message.</param>
    /// <param name="isTransient">Whether trying later may succeed.</param>
    /// <param name="innerException">The client's own error, if any.</param>
    public AwsServiceException(string service, string operation, string destination, string errorCode, HttpStatusCode statusCode, string detail, bool isTransient, Exception? innerException = null)
        : base($"{service} {operation} for '{destination}' failed: {(errorCode.Length > 0 ? errorCode : "no answer")}{(statusCode != 0 ? $" (HTTP {(int)statusCode})" : "")}: {detail}", innerException)
    {
        Service = service;
        Operation = operation;
        Destination = destination;
        ErrorCode = errorCode;
        StatusCode = statusCode;
        IsTransient = isTransient;
    }

    /// <summary>The service: <c>SQS</c> or <c>SNS</c>.</summary>
    public string Service { get; }

    /// <summary>The operation that failed.</summary>
    public string Operation { get; }

    /// <summary>The topic or queue concerned, as the application named it.</summary>
    public string Destination { get; }

    /// <summary>AWS's error code; empty when no answer came.</summary>
    public string ErrorCode { get; }

    /// <summary>The HTTP status of the answer; 0 when none came.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>Whether trying later may succeed (throttling, a 5xx answer, no answer).</summary>
    public bool IsTransient { get; }
}

/// <summary>
/// The topic, queue or subscription does not exist (SNS <c>NotFound</c>, SQS <c>QueueDoesNotExist</c>) and the transport
/// was not allowed to create it (<see cref="AwsTransportOptions.ProvisionOnFirstUse"/> is off, or it was deleted
/// meanwhile).
/// </summary>
public sealed class AwsDestinationNotFoundException : AwsServiceException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="service">The service: <c>SQS</c> or <c>SNS</c>.</param>
    /// <param name="operation">The operation.</param>
    /// <param name="destination">The missing topic or queue, as the application named it.</param>
    /// <param name="errorCode">AWS's error code.</param>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="detail">AWS's error message.</param>
    /// <param name="innerException">The client's own error, if any.</param>
    public AwsDestinationNotFoundException(string service, string operation, string destination, string errorCode, HttpStatusCode statusCode, string detail, Exception? innerException = null)
        : base(service, operation, destination, errorCode, statusCode, detail, isTransient: false, innerException)
    {
    }
}

namespace Messaging.Adapters.Aws.Clients;

/// <summary>
/// How long to wait before trying a failed request again: exponential backoff with full jitter (AWS's recommended
/// "full jitter": a random wait between zero and the exponential bound), so that many clients throttled together do
/// not come back together.
/// </summary>
internal static class RetryBackoff
{
    /// <summary>The bound of the first retry's wait.</summary>
    public static readonly TimeSpan Base = TimeSpan.FromMilliseconds(100);

    /// <summary>The largest bound, reached after a few retries.</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(5);

    /// <summary>The wait before retry <paramref name="retry"/> (1 for the first).</summary>
    public static TimeSpan Delay(int retry, Random random)
    {
        var bound = Math.Min(Cap.TotalMilliseconds, Base.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 16)));
        return TimeSpan.FromMilliseconds(random.NextDouble() * bound);
    }

    /// <summary>Whether an AWS error code means "slow down", whatever its HTTP status.</summary>
    public static bool IsThrottling(string code) => code is "Throttling" or "ThrottlingException" or "ThrottledException"
        or "RequestThrottledException" or "TooManyRequestsException" or "RequestLimitExceeded" or "RequestThrottled"
        or "SlowDown" or "PriorRequestNotComplete" or "TransactionInProgressException" or "EC2ThrottledException"
        or "BandwidthLimitExceeded" or "ProvisionedThroughputExceededException" or "LimitExceededException"
        or "KMSThrottlingException";
}

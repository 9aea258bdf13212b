namespace Messaging.Adapters;

/// <summary>
/// Options every transport has; each adapter's options class derives from this one.
/// </summary>
public abstract class TransportOptions
{
    /// <summary>The retry policy of consumers that do not set their own.</summary>
    /// <value>The default value is <see cref="RetryPolicy.Default"/>; with <c>AddMessaging</c> it comes from <c>Messaging:Retry</c>.</value>
    public RetryPolicy DefaultRetry { get; set; } = RetryPolicy.Default;
}

namespace Messaging.Adapters.Transport;

/// <summary>
/// A transport that can say whether it reaches its broker now (its connections are up, not recovering), for the
/// health check <c>messaging-transport</c> (see <c>AddMessaging</c> on <c>IHealthChecksBuilder</c>).
/// </summary>
/// <remarks>Answered from what the transport already knows, without a round trip to the broker: health checks run
/// often, and a probe that fails while the transport's own recovery is under way tells nothing new. A transport
/// without this interface is reported as not telling.</remarks>
public interface ITransportHealth
{
    /// <summary>Whether the broker is reachable now, and why not.</summary>
    TransportHealth CurrentHealth { get; }
}

/// <summary>What a transport knows of its broker now.</summary>
/// <param name="IsReachable">Whether it can send and receive now (a connection not yet opened counts as reachable:
/// it opens on first use).</param>
/// <param name="Description">What it knows, for operators: the endpoint (never a password) and the state of its
/// connections.</param>
public sealed record TransportHealth(bool IsReachable, string Description);

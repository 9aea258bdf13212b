using System.Reflection;

namespace Messaging.Adapters.Transport;

/// <summary>
/// The CloudEvents <c>source</c> a transport writes on what an application publishes, when the message does not carry
/// one of its own (<see cref="CloudEventHeaders.Source"/>): <c>/</c> and the application's name, percent-encoded, so it
/// identifies the producing application and is always a valid URI-reference (spaces, <c>#</c>, <c>?</c> and every
/// other character that a URI path cannot hold are encoded).
/// </summary>
public static class CloudEventSource
{
    /// <summary>The source for an application.</summary>
    /// <param name="applicationName">The application's name (a transport's client name, the host's application name);
    /// <see langword="null"/> or blank for the entry assembly's name.</param>
    /// <returns>For example <c>/order-service</c>, or <c>/my%20app</c> for <c>my app</c>.</returns>
    public static string For(string? applicationName)
    {
        var name = string.IsNullOrWhiteSpace(applicationName)
            ? Assembly.GetEntryAssembly()?.GetName().Name ?? "messaging-adapters"
            : applicationName.Trim();
        return "/" + Uri.EscapeDataString(name);
    }
}

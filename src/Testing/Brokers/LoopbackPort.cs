using System.Net;
using System.Net.Sockets;

namespace Messaging.Adapters.Testing.Brokers;

/// <summary>
/// A port free on this machine, for a broker's port binding. A port the engine picks itself (Testcontainers' random
/// binding) changes when the container is stopped and started again, and a client reconnecting after a broker restart
/// would knock on the old one; a port chosen here stays the container's across restarts.
/// </summary>
internal static class LoopbackPort
{
    public static ushort Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return checked((ushort)port);
    }
}

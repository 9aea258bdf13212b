using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Messaging.Adapters.Aws.Tests.Support;

/// <summary>
/// An emulator of the test's own (fauxqs, from the tools <c>eng/brokers/aws.sh</c> installs) on a free port of
/// 127.0.0.1, which the test may stop and start again without disturbing the shared one other tests use. fauxqs keeps
/// everything in memory: a restart starts empty.
/// </summary>
internal sealed class PrivateEmulator : IAsyncDisposable
{
    private Process? _process;

    public PrivateEmulator()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
    }

    public int Port { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port}/");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var server = Path.Combine(AwsSdkForJavaScript.ToolsDirectory, "fauxqs-server.mjs");
        if (!File.Exists(server))
        {
            throw new InvalidOperationException($"{server} is missing: run eng/brokers/aws.sh.");
        }

        var start = new ProcessStartInfo("node", [server]) { WorkingDirectory = AwsSdkForJavaScript.ToolsDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["FAUXQS_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100, cancellationToken);
            }
        }

        throw new InvalidOperationException($"the private emulator did not listen on port {Port} within 20 s: {await _process.StandardError.ReadToEndAsync(cancellationToken)}");
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}

using DotNet.Testcontainers.Containers;
using Messaging.Adapters.Testing.Brokers;
using Messaging.Adapters.Testing.Cleanup;
using Microsoft.Extensions.Configuration;

namespace Messaging.Adapters.Testing;

/// <summary>
/// A broker running in a container for one transport, started with Testcontainers, and the configuration that points
/// the transport at it: hand <see cref="Configuration"/> (or <see cref="Settings"/>) to <c>AddMessaging</c>.
/// Disposing stops and removes the container.
/// </summary>
/// <example>
/// <code>
/// await using var broker = await MessagingBroker.StartAsync("RabbitMq");
/// services.AddMessaging(broker.Configuration);
/// </code>
/// </example>
public sealed class MessagingBroker : IAsyncDisposable
{
    private const int PortAttempts = 3;

    private readonly IContainer container;
    private int disposed;

    private MessagingBroker(string transport, string image, IContainer container, IReadOnlyDictionary<string, string?> settings)
    {
        Transport = transport;
        Image = image;
        this.container = container;
        Settings = settings;
        Configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    /// <summary>The transports a broker can be started for: <c>RabbitMq</c>, <c>Kafka</c> and <c>Aws</c>.</summary>
    public static IReadOnlyList<string> Transports => BrokerDefinitions.Transports;

    /// <summary>The transport's name, the value of <c>Messaging:Transport</c> in <see cref="Settings"/>.</summary>
    public string Transport { get; }

    /// <summary>The image the container runs.</summary>
    public string Image { get; }

    /// <summary>The container's id in the container engine.</summary>
    public string ContainerId => container.Id;

    /// <summary>
    /// <c>Messaging:Transport</c> and the transport's options that reach this broker, for example
    /// <c>Messaging:RabbitMq:Uri</c>; add them to a configuration of your own, or use <see cref="Configuration"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>A configuration holding <see cref="Settings"/>, ready for <c>AddMessaging</c>.</summary>
    public IConfiguration Configuration { get; }

    /// <summary>
    /// Starts a broker for <paramref name="transport"/> (<c>RabbitMq</c>, <c>Kafka</c> or <c>Aws</c>, compared
    /// case-insensitively) and waits until it accepts clients.
    /// </summary>
    /// <param name="transport">The transport's name, as in <c>Messaging:Transport</c>.</param>
    /// <param name="options">The images and region; <see langword="null"/> for the environment and the defaults.</param>
    /// <param name="cancellationToken">Cancels the start; the container is removed.</param>
    /// <returns>The running broker; dispose it to remove its container.</returns>
    /// <exception cref="ArgumentException">No broker is known for <paramref name="transport"/>.</exception>
    public static async Task<MessagingBroker> StartAsync(
        string transport, MessagingBrokerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(transport);
        options ??= new MessagingBrokerOptions();
        var definition = BrokerDefinitions.For(transport);
        var image = definition.Image(options, Environment.GetEnvironmentVariable);

        await OrphanedContainers.RemoveAsync(cancellationToken).ConfigureAwait(false);
        var labels = new Dictionary<string, string> { [ContainerOwner.Label] = ContainerOwner.Current.LabelValue };
        for (var attempt = 1; ; attempt++)
        {
            var container = definition.Create(image, LoopbackPort.Free(), labels);
            try
            {
                await container.StartAsync(cancellationToken).ConfigureAwait(false);
                return new MessagingBroker(definition.Transport, image, container, definition.Settings(container, options));
            }
            catch (Exception error) when (attempt < PortAttempts && IsPortTaken(error))
            {
                // Another process took the free port between our look and the engine's bind: another port.
                await container.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                // A container that did not start (or whose settings could not be read) is removed before the error surfaces.
                await container.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Stops the broker, for tests of what clients do while it is down; <see cref="StartAgainAsync"/> brings it back.</summary>
    /// <param name="cancellationToken">Cancels the wait for the stop.</param>
    /// <returns>A task that completes when the container has stopped.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default) => container.StopAsync(cancellationToken);

    /// <summary>
    /// Starts a stopped broker again and waits until it accepts clients, on the same port of this machine: the
    /// <see cref="Settings"/> stay valid, and clients reconnect as they would to a restarted broker.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the broker accepts clients again.</returns>
    public Task StartAgainAsync(CancellationToken cancellationToken = default) => container.StartAsync(cancellationToken);

    /// <summary>
    /// Freezes the broker's processes (<c>docker pause</c>), for tests of what clients do when a broker hangs: their
    /// connections stay open and nothing answers. <see cref="UnpauseAsync"/> lets it go on where it stopped.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the container is paused.</returns>
    public Task PauseAsync(CancellationToken cancellationToken = default) => container.PauseAsync(cancellationToken);

    /// <summary>Lets a paused broker go on (<c>docker unpause</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the container runs again.</returns>
    public Task UnpauseAsync(CancellationToken cancellationToken = default) => container.UnpauseAsync(cancellationToken);

    /// <summary>
    /// Runs a command inside the broker's container and returns what it printed, for the broker's own tools, for
    /// example <c>["rabbitmqctl", "close_all_connections", "test"]</c> to drop every client connection.
    /// </summary>
    /// <param name="command">The program and its arguments.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The command's standard output.</returns>
    /// <exception cref="InvalidOperationException">The command exited with a non-zero code; the message has its output.</exception>
    public async Task<string> ExecAsync(IReadOnlyList<string> command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentOutOfRangeException.ThrowIfZero(command.Count);
        var result = await container.ExecAsync([.. command], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{string.Join(' ', command)}' in the {Transport} container ({Image}) exited with {result.ExitCode}: {result.Stdout}{result.Stderr}");
        }

        return result.Stdout;
    }

    private static bool IsPortTaken(Exception error) =>
        error.Message.Contains("port is already allocated", StringComparison.OrdinalIgnoreCase)
        || error.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase);

    /// <summary>Stops and removes the container; a second call does nothing.</summary>
    /// <returns>A task that completes when the container is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            await container.DisposeAsync().ConfigureAwait(false);
        }
    }
}

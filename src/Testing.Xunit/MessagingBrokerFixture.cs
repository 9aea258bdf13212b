using Microsoft.Extensions.Configuration;
using Xunit;

namespace Messaging.Adapters.Testing.Xunit;

/// <summary>
/// An xunit fixture that starts one broker for the tests that share it (<c>IClassFixture&lt;MessagingBrokerFixture&gt;</c>,
/// a collection fixture or <c>[assembly: AssemblyFixture(typeof(MessagingBrokerFixture))]</c>) and removes it after them.
/// The transport is <see cref="Transport"/>: by default the environment variable <see cref="TransportVariable"/>, else
/// <c>RabbitMq</c>, so the same tests run on every broker by changing one value; <c>InMemory</c> starts no container.
/// </summary>
public class MessagingBrokerFixture : IAsyncLifetime
{
    /// <summary>The environment variable choosing the transport: <c>MESSAGING_TESTING_TRANSPORT</c>.</summary>
    public const string TransportVariable = "MESSAGING_TESTING_TRANSPORT";

    /// <summary>The in-memory transport's name: it needs no broker, so no container is started for it.</summary>
    public const string InMemoryTransport = "InMemory";

    private MessagingBroker? broker;
    private IConfiguration? configuration;

    /// <summary>
    /// The transport to start a broker for; by default <see cref="TransportVariable"/>, else <c>RabbitMq</c>.
    /// Override it to pin the transport.
    /// </summary>
    public virtual string Transport =>
        Environment.GetEnvironmentVariable(TransportVariable) is { Length: > 0 } transport ? transport : "RabbitMq";

    /// <summary>
    /// The broker, started; <see langword="null"/> for the in-memory transport.
    /// </summary>
    /// <exception cref="InvalidOperationException">The fixture has not been initialised.</exception>
    public MessagingBroker? Broker => configuration is null ? throw NotInitialized() : broker;

    /// <summary>The configuration for <c>AddMessaging</c>: <c>Messaging:Transport</c> and the transport's options.</summary>
    /// <exception cref="InvalidOperationException">The fixture has not been initialised.</exception>
    public IConfiguration Configuration => configuration ?? throw NotInitialized();

    /// <summary>Starts the broker (xunit calls this before the first test that uses the fixture).</summary>
    /// <returns>A task that completes when the broker accepts clients.</returns>
    public virtual async ValueTask InitializeAsync()
    {
        if (string.Equals(Transport, InMemoryTransport, StringComparison.OrdinalIgnoreCase))
        {
            configuration = new ConfigurationBuilder()
                .AddInMemoryCollection([new KeyValuePair<string, string?>("Messaging:Transport", InMemoryTransport)])
                .Build();
            return;
        }

        broker = await MessagingBroker.StartAsync(Transport, CreateOptions(), TestContext.Current.CancellationToken)
            .ConfigureAwait(false);
        configuration = broker.Configuration;
    }

    /// <summary>Stops and removes the broker's container (xunit calls this after the last test using the fixture).</summary>
    /// <returns>A task that completes when the container is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>The images and region the broker starts with; override to choose them in code.</summary>
    /// <returns>The options; by default every image comes from its environment variable or the upstream default.</returns>
    protected virtual MessagingBrokerOptions CreateOptions() => new();

    /// <summary>Removes the broker; override to dispose more, calling the base.</summary>
    /// <returns>A task that completes when the container is gone.</returns>
    protected virtual async ValueTask DisposeAsyncCore()
    {
        if (broker is not null)
        {
            await broker.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static InvalidOperationException NotInitialized() =>
        new("The broker fixture has not been initialised: use it as an xunit fixture, or call InitializeAsync first.");
}

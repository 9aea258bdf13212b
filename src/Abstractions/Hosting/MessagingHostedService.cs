using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Adapters.Hosting;

/// <summary>
/// Runs the consumers registered with <see cref="Microsoft.Extensions.DependencyInjection.MessagingConsumerServiceCollectionExtensions"/>
/// for the lifetime of the host.
/// </summary>
/// <remarks>
/// On stop it stops every consumer at once: they take no new messages, the handlers in flight get up to
/// <see cref="MessagingOptions.ShutdownTimeout"/> to finish, and whatever is still running after that (or when the
/// host's own shutdown token fires first) is cancelled and left for redelivery, never acknowledged.
/// </remarks>
internal sealed partial class MessagingHostedService(
    IServiceProvider services,
    ITransport transport,
    IEnumerable<ConsumerRegistration> registrations,
    IOptions<MessagingOptions> options,
    ILogger<MessagingHostedService>? logger = null) : IHostedService
{
    private readonly List<(ConsumerRegistration Registration, IConsumer Consumer)> _running = [];
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var registration in registrations)
        {
            var consumer = await registration.Start(services, transport, cancellationToken).ConfigureAwait(false);
            _running.Add((registration, consumer));
            LogStarted(_logger, registration.Description, transport.Name);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Value.ShutdownTimeout);
        await Task.WhenAll(_running.Select(async r =>
        {
            await r.Consumer.StopAsync(deadline.Token).ConfigureAwait(false);
            await r.Consumer.DisposeAsync().ConfigureAwait(false);
            LogStopped(_logger, r.Registration.Description);
        })).ConfigureAwait(false);
        _running.Clear();
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Consuming {Consumer} on {Transport}")]
    private static partial void LogStarted(ILogger logger, string consumer, string transport);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Stopped consuming {Consumer}")]
    private static partial void LogStopped(ILogger logger, string consumer);
}

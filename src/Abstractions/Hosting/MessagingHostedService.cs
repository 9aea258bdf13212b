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
/// <para>The consumers start in <see cref="StartingAsync"/>, which the host runs before any hosted service's
/// <c>StartAsync</c>: their queues and subscriptions exist, and take messages, before an application service registered
/// earlier publishes its first message.</para>
/// <para>On stop it stops every consumer at once: they take no new messages, the handlers in flight get up to
/// <see cref="MessagingOptions.ShutdownTimeout"/> to finish, and whatever is still running after that (or when the
/// host's own shutdown token fires first) is cancelled and left for redelivery, never acknowledged.</para>
/// <para>A consumer that stops on its own because of an error (<see cref="IConsumer.Completion"/> faulted) is logged,
/// then stops the application or is started again, as <see cref="MessagingOptions.ConsumerFailure"/> says.</para>
/// </remarks>
internal sealed partial class MessagingHostedService(
    IServiceProvider services,
    ITransport transport,
    IEnumerable<ConsumerRegistration> registrations,
    IOptions<MessagingOptions> options,
    ILogger<MessagingHostedService>? logger = null,
    IHostApplicationLifetime? lifetime = null,
    HostedConsumerStatus? status = null) : IHostedLifecycleService, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Instance, IConsumer> _running = [];
    private readonly List<Task> _watchers = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        foreach (var registration in registrations)
        {
            var count = registration.Name is { } name && options.Value.Consumers.GetValueOrDefault(name)?.Count is { } configured
                ? configured
                : registration.Count;
            for (var number = 1; number <= count; number++)
            {
                var instance = new Instance(registration, number, count);
                var consumer = await registration.Start(services, transport, cancellationToken).ConfigureAwait(false);
                Watch(instance, consumer);
                status?.Running(instance.Description);
                LogStarted(_logger, instance.Description, transport.Name);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Value.ShutdownTimeout);
        KeyValuePair<Instance, IConsumer>[] running;
        lock (_gate)
        {
            running = [.. _running];
            _running.Clear();
        }

        await Task.WhenAll(running.Select(async r =>
        {
            await r.Value.StopAsync(deadline.Token).ConfigureAwait(false);
            await r.Value.DisposeAsync().ConfigureAwait(false);
            LogStopped(_logger, r.Key.Description);
        })).ConfigureAwait(false);
        Task[] watchers;
        lock (_gate)
        {
            watchers = [.. _watchers];
        }

        await Task.WhenAll(watchers).ConfigureAwait(false);
        status?.StoppedAll();
    }

    public void Dispose() => _stopping.Dispose();

    private void Watch(Instance registration, IConsumer consumer)
    {
        lock (_gate)
        {
            _running[registration] = consumer;
            _watchers.Add(WatchAsync(registration, consumer));
        }
    }

    /// <summary>Waits for a consumer's end; one that failed while the host runs is reported and handled by policy.</summary>
    private async Task WatchAsync(Instance registration, IConsumer consumer)
    {
        try
        {
            await consumer.Completion.ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            LogConsumerDied(_logger, registration.Description, options.Value.ConsumerFailure, ex);
            status?.Failed(registration.Description, ex, restarting: options.Value.ConsumerFailure != ConsumerFailureAction.StopHost);
        }
        catch (Exception)
        {
            // Failed while the host stops: StopAsync handles it.
            return;
        }

        if (options.Value.ConsumerFailure == ConsumerFailureAction.StopHost)
        {
            lifetime?.StopApplication();
            return;
        }

        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.ConsumerRestartDelay, _stopping.Token).ConfigureAwait(false);
                var restarted = await registration.Registration.Start(services, transport, _stopping.Token).ConfigureAwait(false);
                lock (_gate)
                {
                    if (_stopping.IsCancellationRequested)
                    {
                        _ = restarted.DisposeAsync().AsTask();
                        return;
                    }
                }

                Watch(registration, restarted);
                status?.Running(registration.Description);
                LogRestarted(_logger, registration.Description);
                return;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogRestartFailed(_logger, registration.Description, options.Value.ConsumerRestartDelay.TotalSeconds, ex);
            }
        }
    }

    /// <summary>One of the competing consumers a registration starts; compared by reference, as each is its own.</summary>
    private sealed class Instance(ConsumerRegistration registration, int number, int count)
    {
        public ConsumerRegistration Registration { get; } = registration;

        public string Description { get; } = count == 1 ? registration.Description : $"{registration.Description} (consumer {number} of {count})";
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Consuming {Consumer} on {Transport}")]
    private static partial void LogStarted(ILogger logger, string consumer, string transport);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Stopped consuming {Consumer}")]
    private static partial void LogStopped(ILogger logger, string consumer);

    [LoggerMessage(EventId = 12, Level = LogLevel.Critical, Message = "The consumer of {Consumer} stopped because of an error; Messaging:ConsumerFailure is {Action}")]
    private static partial void LogConsumerDied(ILogger logger, string consumer, ConsumerFailureAction action, Exception exception);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Consuming {Consumer} again after it failed")]
    private static partial void LogRestarted(ILogger logger, string consumer);

    [LoggerMessage(EventId = 14, Level = LogLevel.Error, Message = "Could not start {Consumer} again; trying again in {Seconds} s")]
    private static partial void LogRestartFailed(ILogger logger, string consumer, double seconds, Exception exception);
}

using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Messaging.Adapters.RabbitMq.Connection;

/// <summary>
/// One AMQP connection, opened on first use and recovered by RabbitMQ.Client after it is lost; knows whether it is
/// usable and lets callers wait until it is again.
/// </summary>
/// <remarks>The transport keeps two: one for publishing and one for consuming and topology, as RabbitMQ advises,
/// so that a broker blocking publishers (memory or disk alarm) never holds back consumers' acknowledgements.</remarks>
internal sealed partial class RabbitMqConnection : IAsyncDisposable
{
    private readonly ConnectionFactory _factory;
    private readonly string _name;
    private readonly string _endpoint;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _opening = new(1, 1);
    private readonly Lock _gate = new();
    private TaskCompletionSource _usable = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IConnection? _connection;
    private bool _recovering;
    private bool _disposed;

    // The broker's reason when it closed the connection for a cause waiting cannot cure (an unknown virtual host,
    // access refused): RabbitMQ.Client reports the connection open before the broker answers connection.open, then
    // recovers it for ever, so this is where such a refusal becomes an error instead of a wait.
    private string? _refusal;

    private readonly ServerCertificateCheck? _certificateCheck;

    public RabbitMqConnection(ConnectionFactory factory, string name, string endpoint, ILogger logger, ServerCertificateCheck? certificateCheck = null)
    {
        _certificateCheck = certificateCheck;
        _factory = factory;
        _name = name;
        _endpoint = endpoint;
        _logger = logger;
    }

    /// <summary>Raised each time the connection is lost (not when it is closed on purpose), with the reason, before
    /// its recovery starts.</summary>
    public event Action<ShutdownEventArgs>? Lost;

    /// <summary>The connection if it was opened, for the transport's own inspection.</summary>
    public IConnection? Current => Volatile.Read(ref _connection);

    /// <summary>Whether the connection is open and not in the middle of a recovery.</summary>
    public bool IsUsable
    {
        get
        {
            lock (_gate)
            {
                return _connection is { IsOpen: true } && !_recovering;
            }
        }
    }

    /// <summary>Opens the connection on first use and returns it; it may be recovering (see <see cref="WaitUntilUsableAsync"/>).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="TransportUnavailableException">The broker cannot be reached; the message names the
    /// endpoint with its password hidden.</exception>
    public async ValueTask<IConnection> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is { } existing)
        {
            return existing;
        }

        await _opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { } opened)
            {
                return opened;
            }

            IConnection connection;
            try
            {
                connection = await _factory.CreateConnectionAsync(_factory.ClientProvidedName + " (" + _name + ")", cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRefusedCertificate(ex, out var why))
            {
                // A certificate the client refuses stays refused until the configuration changes: not transient.
                throw new TransportUnavailableException(
                    $"TLS with RabbitMQ at {_endpoint} failed: {why}.",
                    isTransient: false,
                    ex);
            }
            catch (Exception ex) when (BrokerErrors.IsPermanentConnectFailure(ex, out var cause))
            {
                // Waiting cannot cure it: fail now, naming the cause, so retry logic stops retrying.
                throw Refused(cause, ex);
            }
            catch (Exception ex) when (ex is BrokerUnreachableException or IOException or OperationInterruptedException or System.Net.Sockets.SocketException or TimeoutException)
            {
                throw new TransportUnavailableException(
                    $"Cannot connect to RabbitMQ at {_endpoint} (Messaging:RabbitMq:Uri): {InnermostMessage(ex)}",
                    isTransient: true,
                    ex);
            }

            connection.ConnectionShutdownAsync += OnShutdownAsync;
            connection.RecoverySucceededAsync += OnRecoveredAsync;
            connection.ConnectionRecoveryErrorAsync += OnRecoveryErrorAsync;
            lock (_gate)
            {
                _connection = connection;
                _usable.TrySetResult();
            }

            LogConnected(_logger, _name, _endpoint);
            return connection;
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>Waits until the connection is open and recovered, or the deadline passes.</summary>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when the connection is usable.</returns>
    public async ValueTask<bool> WaitUntilUsableAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Task usable;
            lock (_gate)
            {
                if (_connection is { IsOpen: true } && !_recovering)
                {
                    return true;
                }

                if ((_refusal ??= RefusalIn(_connection?.CloseReason)) is { } refusal)
                {
                    throw Refused(refusal, null);
                }

                usable = _usable.Task;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            if (usable.IsCompleted)
            {
                // The socket is closed but the shutdown notification that starts the recovery has not run yet.
                await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                await usable.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
    }

    /// <summary>Opens a channel on this connection, waiting for a recovery in progress.</summary>
    /// <param name="options">The channel's options.</param>
    /// <param name="timeout">How long to wait for the connection at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The channel.</returns>
    public async Task<IChannel> CreateChannelAsync(CreateChannelOptions options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var connection = await GetAsync(cancellationToken).ConfigureAwait(false);
            if (!await WaitUntilUsableAsync(deadline - DateTime.UtcNow, cancellationToken).ConfigureAwait(false))
            {
                throw Unavailable(timeout);
            }

            try
            {
                return await connection.CreateChannelAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (BrokerErrors.IsConnectionLoss(ex) && ex is not ObjectDisposedException && DateTime.UtcNow < deadline)
            {
                // Lost between the check and the call: wait for the recovery and try again.
            }
        }
    }

    /// <summary>The error for a connection that did not come back in time.</summary>
    /// <param name="waited">How long was waited.</param>
    /// <returns>The exception.</returns>
    public TransportUnavailableException Unavailable(TimeSpan waited) =>
        new($"The RabbitMQ connection to {_endpoint} ({_name}) was not usable within {waited.TotalSeconds:0.#} s; it is being recovered every {_factory.NetworkRecoveryInterval.TotalSeconds:0.#} s.", isTransient: true);

    public async ValueTask DisposeAsync()
    {
        IConnection? connection;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            connection = _connection;
            _usable.TrySetResult();
        }

        if (connection is not null)
        {
            try
            {
                await connection.CloseAsync(Constants.ReplySuccess, "Messaging.Adapters transport disposed", TimeSpan.FromSeconds(5), abort: false, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (BrokerErrors.IsConnectionLoss(ex))
            {
                // Already gone: nothing left to close.
            }

            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private bool IsRefusedCertificate(Exception exception, out string why)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException authentication)
            {
                why = _certificateCheck?.LastRefusal ?? authentication.Message;
                return true;
            }
        }

        why = string.Empty;
        return false;
    }

    private TransportUnavailableException Refused(string cause, Exception? error) => new(
        $"RabbitMQ at {_endpoint} refused the connection (Messaging:RabbitMq:Uri): {cause}. Check the user name, password and virtual host; retrying does not help.",
        isTransient: false,
        error);

    /// <summary>The broker's words when it closed a connection for good: <c>NOT_ALLOWED</c> (an unknown virtual host,
    /// or one the user may not use) or <c>ACCESS_REFUSED</c>; not a connection limit, which may free up.</summary>
    private static string? RefusalIn(ShutdownEventArgs? reason) =>
        reason is { Initiator: ShutdownInitiator.Peer, ReplyCode: BrokerErrors.NotAllowed or BrokerErrors.AccessRefused }
        && !reason.ReplyText.Contains("limit", StringComparison.OrdinalIgnoreCase)
            ? $"{reason.ReplyCode} {reason.ReplyText}"
            : null;

    private static string InnermostMessage(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner == exception ? exception.Message : $"{exception.Message} ({inner.GetType().Name}: {inner.Message})";
    }

    private Task OnShutdownAsync(object sender, ShutdownEventArgs reason)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return Task.CompletedTask;
            }

            _recovering = true;
            _refusal ??= RefusalIn(reason);
            if (_refusal is not null)
            {
                // Wake the waiters: they fail with the refusal instead of waiting for a recovery that cannot succeed.
                _usable.TrySetResult();
            }
            else if (_usable.Task.IsCompleted)
            {
                _usable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        if (reason.Initiator != ShutdownInitiator.Application)
        {
            LogLost(_logger, _name, _endpoint, reason.ReplyCode, reason.ReplyText);
            Lost?.Invoke(reason);
        }

        return Task.CompletedTask;
    }

    private Task OnRecoveredAsync(object sender, AsyncEventArgs args)
    {
        lock (_gate)
        {
            _recovering = false;
            _refusal = null;
            if (_usable.Task.IsCompleted)
            {
                _usable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _usable.TrySetResult();
        }

        LogRecovered(_logger, _name, _endpoint);
        return Task.CompletedTask;
    }

    private Task OnRecoveryErrorAsync(object sender, ConnectionRecoveryErrorEventArgs args)
    {
        LogRecoveryFailed(_logger, _name, _endpoint, args.Exception.Message);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Connected to RabbitMQ at {Endpoint} ({Purpose})")]
    private static partial void LogConnected(ILogger logger, string purpose, string endpoint);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "RabbitMQ connection {Purpose} to {Endpoint} lost ({ReplyCode} {ReplyText}); recovering")]
    private static partial void LogLost(ILogger logger, string purpose, string endpoint, ushort replyCode, string replyText);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "RabbitMQ connection {Purpose} to {Endpoint} recovered")]
    private static partial void LogRecovered(ILogger logger, string purpose, string endpoint);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "RabbitMQ connection {Purpose} to {Endpoint} could not be recovered yet: {Problem}")]
    private static partial void LogRecoveryFailed(ILogger logger, string purpose, string endpoint, string problem);
}

using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Adapters;

/// <summary>
/// Runs a handler for one delivery and decides what the transport does next: acknowledge, retry later,
/// dead-letter with the reason, or release for redelivery. Every transport uses this one pipeline, so retry and
/// dead-letter behaviour is the same on every broker.
/// </summary>
/// <remarks>
/// Immediate retries run inside <see cref="HandleAsync"/>. A delayed retry is returned as
/// <see cref="HandlingOutcome.RetryLater"/> for the broker to hold, unless the pipeline was created with
/// <c>holdDelayedRetries</c> (ordering by key, or a transport without <see cref="TransportCapabilities.DelayedDelivery"/>),
/// in which case it waits in process and retries itself.
/// </remarks>
public sealed partial class HandlerPipeline
{
    private const int MaxHeaderTextLength = 1000;

    private readonly MessageHandler _handler;
    private readonly RetryPolicy _policy;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _holdDelayedRetries;

    /// <summary>Creates the pipeline.</summary>
    /// <param name="handler">The application's handler.</param>
    /// <param name="policy">The retry policy.</param>
    /// <param name="holdDelayedRetries">Whether delayed retries wait in process instead of going back to the broker.</param>
    /// <param name="timeProvider">The clock for delays and dead-letter times; <see langword="null"/> for the system clock.</param>
    /// <param name="logger">Where retries and dead letters are logged; <see langword="null"/> for none.</param>
    public HandlerPipeline(MessageHandler handler, RetryPolicy policy, bool holdDelayedRetries = false, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        _handler = handler;
        _policy = policy;
        _holdDelayedRetries = holdDelayedRetries;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Handles one delivery, running immediate (and, if held, delayed) retries.</summary>
    /// <param name="message">The delivery; its <see cref="ReceivedMessage.Attempt"/> says how many attempts came before.</param>
    /// <param name="cancellationToken">Cancelled when the consumer stops; the handler then gets the same token,
    /// and a handler that gives up because of it makes the outcome <see cref="HandlingOutcome.Release"/>.</param>
    /// <returns>What the transport must do next.</returns>
    public async ValueTask<HandlingResult> HandleAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var current = message;
        while (true)
        {
            try
            {
                await _handler(current, cancellationToken).ConfigureAwait(false);
                return HandlingResult.Acknowledged(current.Attempt);
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is OperationCanceledException)
            {
                return new HandlingResult { Outcome = HandlingOutcome.Release, Attempts = current.Attempt - 1 };
            }
            catch (Exception ex)
            {
                var attempt = current.Attempt;
                var delay = IsRetryable(ex) ? _policy.DelayBefore(attempt + 1) : null;
                if (delay is null)
                {
                    LogDeadLettered(_logger, current.Envelope.Id, current.Source, attempt, ex);
                    return new HandlingResult
                    {
                        Outcome = HandlingOutcome.DeadLetter,
                        Message = ToDeadLetter(current, ex, _time),
                        Attempts = attempt,
                    };
                }

                LogRetrying(_logger, current.Envelope.Id, current.Source, attempt, delay.Value.TotalMilliseconds, ex);
                if (delay.Value > TimeSpan.Zero && !_holdDelayedRetries)
                {
                    return new HandlingResult
                    {
                        Outcome = HandlingOutcome.RetryLater,
                        Message = DeliveryAttempts.Record(current.Envelope, attempt),
                        RetryDelay = delay.Value,
                        Attempts = attempt,
                    };
                }

                if (delay.Value > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(delay.Value, _time, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        // Stopping while a held retry waits: the broker redelivers it, with the attempts made so far.
                        return new HandlingResult { Outcome = HandlingOutcome.Release, Attempts = attempt };
                    }
                }

                current = current.WithAttempt(attempt + 1);
            }
        }
    }

    /// <summary>Builds the envelope that goes to the dead-letter queue: the original message with the reason headers,
    /// without the attempt counter (so a re-sent dead letter starts afresh).</summary>
    /// <remarks>A message that failed in a dead-letter queue (<see cref="DestinationNames.IsDeadLetterQueue"/>) goes back
    /// into that queue (see <see cref="Transport.DeadLetterQueues.TargetOf"/>): it keeps its source, attempts and stream
    /// position, and gets the new reason, time and exception.</remarks>
    /// <param name="message">The failed delivery.</param>
    /// <param name="exception">Why it failed.</param>
    /// <param name="time">The clock; <see langword="null"/> for the system clock.</param>
    /// <returns>The dead-letter envelope.</returns>
    public static Envelope ToDeadLetter(ReceivedMessage message, Exception exception, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(exception);
        var reason = exception switch
        {
            DeadLetterException explicitReason => explicitReason.Reason,
            MessageDeserializationException poison => "Poison message: " + poison.Message,
            _ => $"Handling failed after {message.Attempt} attempt(s): {exception.GetType().Name}: {exception.Message}",
        };
        var headers = new Dictionary<string, string>(message.Envelope.Headers, StringComparer.Ordinal)
        {
            [EnvelopeHeaders.DeadLetterReason] = Truncate(reason),
            [EnvelopeHeaders.DeadLetterTime] = (time ?? TimeProvider.System).GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
        };
        if (DestinationNames.IsDeadLetterQueue(message.Source))
        {
            // A letter that failed in its dead-letter queue stays there (DeadLetterQueues.TargetOf) as the letter it was:
            // where it failed first (source, attempts, stream position) is what a redrive needs; only why changes.
            SetLastFailure(headers, exception);
            headers.Remove(EnvelopeHeaders.Attempt);
            return message.Envelope with { Headers = headers };
        }

        headers[EnvelopeHeaders.DeadLetterAttempts] = message.Attempt.ToString(CultureInfo.InvariantCulture);
        headers[EnvelopeHeaders.DeadLetterSource] = message.Source;

        // Where in a stream the message sits is a fact of this delivery only.
        headers.Remove(EnvelopeHeaders.DeadLetterReaderGroup);
        headers.Remove(EnvelopeHeaders.DeadLetterStreamPartition);
        headers.Remove(EnvelopeHeaders.DeadLetterStreamOffset);
        if (message.ReaderGroup is { } readerGroup)
        {
            headers[EnvelopeHeaders.DeadLetterReaderGroup] = readerGroup;
            if (message.StreamPartition is { } partition)
            {
                headers[EnvelopeHeaders.DeadLetterStreamPartition] = partition.ToString(CultureInfo.InvariantCulture);
            }

            if (message.StreamOffset is { } offset)
            {
                headers[EnvelopeHeaders.DeadLetterStreamOffset] = offset.ToString(CultureInfo.InvariantCulture);
            }
        }

        SetLastFailure(headers, exception);
        headers.Remove(EnvelopeHeaders.Attempt);
        return message.Envelope with { Headers = headers };
    }

    private static void SetLastFailure(Dictionary<string, string> headers, Exception exception)
    {
        var cause = exception is DeadLetterException { InnerException: { } inner } ? inner : exception;
        if (cause is not DeadLetterException)
        {
            headers[EnvelopeHeaders.DeadLetterExceptionType] = cause.GetType().FullName ?? cause.GetType().Name;
            headers[EnvelopeHeaders.DeadLetterExceptionMessage] = Truncate(cause.Message);
        }
        else
        {
            headers.Remove(EnvelopeHeaders.DeadLetterExceptionType);
            headers.Remove(EnvelopeHeaders.DeadLetterExceptionMessage);
        }
    }

    private bool IsRetryable(Exception exception) => exception switch
    {
        DeadLetterException or MessageDeserializationException => false,
        _ => _policy.ShouldRetry?.Invoke(exception) ?? true,
    };

    private static string Truncate(string text) => text.Length <= MaxHeaderTextLength ? text : string.Concat(text.AsSpan(0, MaxHeaderTextLength - 1), "…");

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Message {MessageId} from {Source} failed on attempt {Attempt}; retrying in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, string messageId, string source, int attempt, double delayMs, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Message {MessageId} from {Source} dead-lettered after attempt {Attempt}")]
    private static partial void LogDeadLettered(ILogger logger, string messageId, string source, int attempt, Exception exception);
}

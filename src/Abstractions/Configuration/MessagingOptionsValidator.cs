using Messaging.Adapters.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Adapters;

/// <summary>
/// Validates <see cref="MessagingOptions"/> at start-up with messages that name the full configuration key.
/// </summary>
/// <param name="consumers">The hosted consumers, whose names <c>Messaging:Consumers</c> may use.</param>
internal sealed class MessagingOptionsValidator(IEnumerable<ConsumerRegistration> consumers) : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        var failures = new List<string>();
        if (options.ShutdownTimeout < TimeSpan.Zero || options.ShutdownTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"Messaging:ShutdownTimeout must be 00:00:00..01:00:00, was {options.ShutdownTimeout}.");
        }

        if (options.ConsumerRestartDelay < TimeSpan.Zero || options.ConsumerRestartDelay > TimeSpan.FromHours(1))
        {
            failures.Add($"Messaging:ConsumerRestartDelay must be 00:00:00..01:00:00, was {options.ConsumerRestartDelay}.");
        }

        if (options.RequestTimeout < TimeSpan.FromMilliseconds(1) || options.RequestTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"Messaging:RequestTimeout must be 00:00:00.001..01:00:00, was {options.RequestTimeout}.");
        }

        if (!Enum.IsDefined(options.ConsumerFailure))
        {
            failures.Add($"Messaging:ConsumerFailure must be one of {string.Join(", ", Enum.GetNames<ConsumerFailureAction>())}, was {options.ConsumerFailure}.");
        }

        var retry = options.Retry;
        if (retry is null)
        {
            failures.Add("Messaging:Retry must not be null.");
        }
        else
        {
            failures.AddRange(retry.ToPolicy().FindProblems("Messaging:Retry:").Select(p => p.Message));
        }

        if (options.Idempotency is null)
        {
            failures.Add("Messaging:Idempotency must not be null.");
        }
        else
        {
            failures.AddRange(options.Idempotency.FindProblems());
        }

        ValidateConsumers(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void ValidateConsumers(MessagingOptions options, List<string> failures)
    {
        var names = consumers.Select(c => c.Name).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        foreach (var (name, settings) in options.Consumers ?? [])
        {
            var key = $"Messaging:Consumers:{name}";
            if (!names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                var nearest = TransportSelection.Nearest(name, names);
                failures.Add($"{key} names no hosted consumer of this application, so nothing would read it."
                    + (nearest is not null ? $" Did you mean Messaging:Consumers:{nearest}?" : names.Count == 0 ? " It has no hosted consumers." : $" Its consumers are: {string.Join(", ", names)}."));
            }

            if (settings?.Retry is { } retry)
            {
                failures.AddRange(retry.ToPolicy().FindProblems($"{key}:Retry:").Select(p => p.Message));
            }

            if (settings?.Count is { } count && count is < 1 or > ConsumerRegistration.MaxCount)
            {
                failures.Add($"{key}:Count must be 1..{ConsumerRegistration.MaxCount}, was {count}.");
            }
        }
    }
}

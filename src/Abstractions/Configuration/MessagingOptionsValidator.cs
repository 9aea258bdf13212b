using Microsoft.Extensions.Options;

namespace Messaging.Adapters;

/// <summary>
/// Validates <see cref="MessagingOptions"/> at start-up with messages that name the full configuration key.
/// </summary>
internal sealed class MessagingOptionsValidator : IValidateOptions<MessagingOptions>
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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

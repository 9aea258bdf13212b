using Microsoft.Extensions.Configuration;

namespace Messaging.Adapters;

/// <summary>
/// Gives each <c>Messaging:Consumers:&lt;name&gt;:Retry</c> the values of <c>Messaging:Retry</c> it leaves out, so that
/// <c>Messaging:Consumers:orders:Retry:MaxAttempts = 10</c> changes the attempts and keeps the application's delays
/// (the binder alone would give the rest the library's defaults).
/// </summary>
internal static class ConsumerRetryLayering
{
    /// <summary>Re-binds every configured consumer retry policy over the application's default one.</summary>
    /// <param name="options">The bound options.</param>
    /// <param name="messaging">The <c>Messaging</c> section.</param>
    public static void Apply(MessagingOptions options, IConfigurationSection messaging)
    {
        var defaults = messaging.GetSection(nameof(MessagingOptions.Retry));
        foreach (var consumer in messaging.GetSection(nameof(MessagingOptions.Consumers)).GetChildren())
        {
            var retry = consumer.GetSection(nameof(ConsumerSettings.Retry));
            if (!retry.Exists() || !options.Consumers.TryGetValue(consumer.Key, out var settings) || settings is null)
            {
                continue;
            }

            var layered = new RetryOptions();
            defaults.Bind(layered);
            retry.Bind(layered);
            settings.Retry = layered;
        }
    }
}

using Messaging.Adapters;
using Messaging.Adapters.Aws;
using Messaging.Adapters.Aws.Configuration;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

[assembly: MessagingTransport(typeof(AwsTransportRegistration))]

namespace Messaging.Adapters.Aws.Configuration;

/// <summary>
/// Registers the AWS transport when <c>Messaging:Transport</c> is <c>Aws</c>; found by <c>AddMessaging</c> through the
/// assembly attribute above, or added in code by <c>AddAwsTransport</c>.
/// </summary>
public sealed class AwsTransportRegistration : ITransportRegistration
{
    /// <inheritdoc />
    public string Name => TransportCatalog.Aws;

    /// <inheritdoc />
    /// <value><see cref="AwsTransportOptions"/>: an unknown key under <c>Messaging:Aws</c> stops start-up naming it.</value>
    public Type? OptionsType => typeof(AwsTransportOptions);

    /// <inheritdoc />
    public void Register(IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<AwsTransportOptions>().Bind(section);
        AddTransport(services);
    }

    internal static void AddTransport(IServiceCollection services) =>
        services.AddMessagingTransportServices<AwsTransportOptions, AwsTransportOptionsValidator>((options, time, loggers) => new AwsTransport(options, time, loggers));
}

/// <summary>
/// Validates <see cref="AwsTransportOptions"/> at start-up with messages that name the configuration key.
/// </summary>
internal sealed class AwsTransportOptionsValidator : IValidateOptions<AwsTransportOptions>
{
    private const string Prefix = AwsTransportOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, AwsTransportOptions options) =>
        FindProblems(options) is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;

    /// <summary>Every invalid option, each message naming its full key.</summary>
    public static List<string> FindProblems(AwsTransportOptions options)
    {
        var problems = new OptionProblems(Prefix);
        if (options.Region is { } region && (region.Length == 0 || !region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
        {
            problems.Add($"{Prefix}Region must be an AWS region name such as eu-west-1, was '{region}'.");
        }

        if (options.ServiceUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
        {
            problems.Add($"{Prefix}ServiceUrl must be an absolute http:// or https:// URL, was '{url}'.");
        }

        if (options.MaxMessageSize is < 4096 or > AwsTransportOptions.MaxMessageSizeLimit)
        {
            problems.Add($"{Prefix}MaxMessageSize must be 4096..{AwsTransportOptions.MaxMessageSizeLimit} (bytes, body and attributes: SQS's and SNS's limit), was {options.MaxMessageSize}.");
        }

        problems.Range(options.VisibilityTimeout, TimeSpan.FromSeconds(2), TimeSpan.FromHours(12), nameof(options.VisibilityTimeout));
        problems.Range(options.ReceiveWaitTime, TimeSpan.Zero, TimeSpan.FromSeconds(20), nameof(options.ReceiveWaitTime));
        if (options.EventBus is { } bus && (bus.Length is 0 or > 1600 || !bus.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/' or ':')))
        {
            problems.Add($"{Prefix}EventBus must be an EventBridge bus name or ARN ([A-Za-z0-9._-/:]), was '{bus}'.");
        }

        if (options.Fifo && options.EventBus is not null)
        {
            problems.Add($"{Prefix}Fifo cannot be combined with {Prefix}EventBus: an EventBridge bus keeps no order, so its topics cannot be FIFO.");
        }

        if (string.IsNullOrWhiteSpace(options.EventSource) || options.EventSource.StartsWith("aws.", StringComparison.Ordinal) || options.EventSource.Length > 256)
        {
            problems.Add($"{Prefix}EventSource must be 1..256 characters not starting with 'aws.', was '{options.EventSource}'.");
        }

        if (options.MaxReceiveCount is < 1 or > 1000)
        {
            problems.Add($"{Prefix}MaxReceiveCount must be 1..1000, was {options.MaxReceiveCount}.");
        }

        if (options.MaxErrorRetry is < 0 or > 20)
        {
            problems.Add($"{Prefix}MaxErrorRetry must be 0..20, was {options.MaxErrorRetry}.");
        }

        problems.DefaultRetry(options.DefaultRetry);
        return [.. problems.Messages];
    }
}

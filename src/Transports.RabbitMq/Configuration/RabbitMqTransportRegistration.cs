using Messaging.Adapters;
using Messaging.Adapters.RabbitMq;
using Messaging.Adapters.RabbitMq.Configuration;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

[assembly: MessagingTransport(typeof(RabbitMqTransportRegistration))]

namespace Messaging.Adapters.RabbitMq.Configuration;

/// <summary>
/// Registers the RabbitMQ transport when <c>Messaging:Transport</c> is <c>RabbitMq</c>; found by
/// <c>AddMessaging</c> through the assembly attribute above, or added in code by the adapter's own <c>Add...Transport</c>.
/// </summary>
public sealed class RabbitMqTransportRegistration : ITransportRegistration
{
    /// <inheritdoc />
    public string Name => TransportCatalog.RabbitMq;

    /// <inheritdoc />
    public Type OptionsType => typeof(RabbitMqTransportOptions);

    /// <inheritdoc />
    public void Register(IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<RabbitMqTransportOptions>().Configure(options => Bind(section, options));
        AddTransport(services);
    }

    /// <summary>Binds the options; the URI as text, parsed here, because the configuration binder's own conversion error
    /// prints the whole value, password included (a password with an unencoded <c>#</c> makes it unparsable).</summary>
    /// <param name="section">The <c>Messaging:RabbitMq</c> section.</param>
    /// <param name="options">The options.</param>
    internal static void Bind(IConfiguration section, RabbitMqTransportOptions options)
    {
        var uriKey = nameof(RabbitMqTransportOptions.Uri);
        var withoutUri = new ConfigurationBuilder()
            .AddInMemoryCollection(section.AsEnumerable(makePathsRelative: true)
                .Where(setting => !string.Equals(setting.Key, uriKey, StringComparison.OrdinalIgnoreCase)))
            .Build();
        withoutUri.Bind(options);
        if (section[uriKey] is not { } text)
        {
            return;
        }

        // Blank: no URI, which validation reports as missing.
        options.Uri = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return;
        }

        if (RabbitMqEndpoint.TryParse(text, out var uri, out var problem))
        {
            options.Uri = uri;
        }
        else
        {
            options.UriProblem = problem;
        }
    }

    internal static void AddTransport(IServiceCollection services) =>
        services.AddMessagingTransportServices<RabbitMqTransportOptions, RabbitMqTransportOptionsValidator>((options, time, loggers) => new RabbitMqTransport(options, time, loggers));
}

/// <summary>
/// Validates <see cref="RabbitMqTransportOptions"/> at start-up with messages that name the configuration key.
/// </summary>
internal sealed class RabbitMqTransportOptionsValidator : IValidateOptions<RabbitMqTransportOptions>
{
    private const string Prefix = RabbitMqTransportOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, RabbitMqTransportOptions options) =>
        FindProblems(options) is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;

    /// <summary>Every invalid option, each message naming its full key; never showing the password.</summary>
    public static List<string> FindProblems(RabbitMqTransportOptions options)
    {
        var problems = new OptionProblems(Prefix);
        var uri = options.Uri;
        if (options.UriProblem is { } problem)
        {
            problems.Add($"{Prefix}Uri {problem}.");
        }
        else if (uri is null)
        {
            problems.Add($"{Prefix}Uri is required: the broker's address, for example amqp://user:password@host:5672/vhost (amqps:// for TLS).");
        }
        else if (!uri.IsAbsoluteUri || uri.Scheme is not ("amqp" or "amqps") || string.IsNullOrEmpty(uri.Host))
        {
            problems.Add($"{Prefix}Uri must be an absolute amqp:// or amqps:// URI with a host, was {RabbitMqEndpoint.MaskText(uri.OriginalString)}.");
        }

        problems.Range(options.PublishTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10), nameof(options.PublishTimeout));
        problems.Range(options.RecoveryInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5), nameof(options.RecoveryInterval));
        problems.Range(options.Heartbeat, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10), nameof(options.Heartbeat));
        problems.Range(options.CheckpointRetention, TimeSpan.FromHours(1), TimeSpan.FromDays(365), nameof(options.CheckpointRetention));
        problems.Range(options.TemporaryQueueExpiry, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1), nameof(options.TemporaryQueueExpiry));
        if (options.MaxMessageSize is < 1 or > RabbitMqTransportOptions.MaxMessageSizeLimit)
        {
            problems.Add($"{Prefix}MaxMessageSize must be 1..{RabbitMqTransportOptions.MaxMessageSizeLimit} (bytes: the broker's default max_message_size of 128 MiB less 64 KiB for properties), was {options.MaxMessageSize}.");
        }

        if (options.PublishChannels is < 1 or > 64)
        {
            problems.Add($"{Prefix}PublishChannels must be 1..64, was {options.PublishChannels}.");
        }

        if (options.DeliveryLimit is < 0 or > 1000)
        {
            problems.Add($"{Prefix}DeliveryLimit must be 0..1000, was {options.DeliveryLimit}.");
        }

        if (options.StreamPrefetch is < 1 or > 10_000)
        {
            problems.Add($"{Prefix}StreamPrefetch must be 1..10000, was {options.StreamPrefetch}.");
        }

        if (!Enum.IsDefined(options.QueueType))
        {
            problems.Add($"{Prefix}QueueType must be one of {string.Join(", ", Enum.GetNames<RabbitMqQueueType>())}, was {options.QueueType}.");
        }

        if (options.Tls is null)
        {
            problems.Add($"{Prefix}Tls must not be null.");
        }
        else
        {
            if (options.Tls.ClientCertificatePath is { Length: > 0 } certificate && !File.Exists(certificate))
            {
                problems.Add($"{Prefix}Tls:ClientCertificatePath: the file '{certificate}' does not exist (a PKCS#12 file with the client certificate and its key).");
            }

            try
            {
                _ = Connection.ServerCertificateCheck.LoadAuthorities(options.Tls.CaCertificate);
            }
            catch (ArgumentException ex)
            {
                problems.Add(ex.Message);
            }
        }

        problems.DefaultRetry(options.DefaultRetry);
        return [.. problems.Messages];
    }
}

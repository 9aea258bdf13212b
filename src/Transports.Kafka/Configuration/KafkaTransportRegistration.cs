using Messaging.Adapters;
using Messaging.Adapters.Kafka;
using Messaging.Adapters.Kafka.Configuration;
using Messaging.Adapters.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

[assembly: MessagingTransport(typeof(KafkaTransportRegistration))]

namespace Messaging.Adapters.Kafka.Configuration;

/// <summary>
/// Registers the Kafka transport when <c>Messaging:Transport</c> is <c>Kafka</c>; found by <c>AddMessaging</c> through
/// the assembly attribute above, or added in code by <c>AddKafkaTransport</c>.
/// </summary>
public sealed class KafkaTransportRegistration : ITransportRegistration
{
    /// <inheritdoc />
    public string Name => TransportCatalog.Kafka;

    /// <inheritdoc />
    /// <value><see cref="KafkaTransportOptions"/>: a key under <c>Messaging:Kafka</c> that is not one of its options stops start-up.</value>
    public Type OptionsType => typeof(KafkaTransportOptions);

    /// <inheritdoc />
    public void Register(IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<KafkaTransportOptions>().Bind(section);
        AddTransport(services);
    }

    internal static void AddTransport(IServiceCollection services) =>
        services.AddMessagingTransportServices<KafkaTransportOptions, KafkaTransportOptionsValidator>((options, time, loggers) => new KafkaTransport(options, time, loggers));
}

/// <summary>
/// Validates <see cref="KafkaTransportOptions"/> at start-up with messages that name the configuration key.
/// </summary>
internal sealed class KafkaTransportOptionsValidator : IValidateOptions<KafkaTransportOptions>
{
    private const string Prefix = KafkaTransportOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, KafkaTransportOptions options) =>
        FindProblems(options) is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;

    /// <summary>Every invalid option, each message naming its full key.</summary>
    public static List<string> FindProblems(KafkaTransportOptions options)
    {
        var problems = new OptionProblems(Prefix);
        if (string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            problems.Add($"{Prefix}BootstrapServers is required: the cluster's bootstrap servers, host:port[,host:port...].");
        }
        else if (options.BootstrapServers.Split(',').Any(server => !IsHostAndPort(server.Trim())))
        {
            problems.Add($"{Prefix}BootstrapServers must be host:port[,host:port...], was '{options.BootstrapServers}'.");
        }

        problems.Range(options.PublishTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10), nameof(options.PublishTimeout));
        problems.Range(options.CommitInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1), nameof(options.CommitInterval));
        problems.Range(options.SessionTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), nameof(options.SessionTimeout));
        problems.Range(options.RevokeTimeout, TimeSpan.Zero, TimeSpan.FromMinutes(5), nameof(options.RevokeTimeout));
        if (options.Partitions is < 1 or > 10_000)
        {
            problems.Add($"{Prefix}Partitions must be 1..10000, was {options.Partitions}.");
        }

        if (options.ReplicationFactor is not -1 and (< 1 or > 32))
        {
            problems.Add($"{Prefix}ReplicationFactor must be -1 (the cluster's default) or 1..32, was {options.ReplicationFactor}.");
        }

        if (options.StreamPrefetch is < 1 or > 10_000)
        {
            problems.Add($"{Prefix}StreamPrefetch must be 1..10000, was {options.StreamPrefetch}.");
        }

        if (options.MaxMessageSize is < 1 or > 100_000_000)
        {
            problems.Add($"{Prefix}MaxMessageSize must be 1..100000000 (bytes), was {options.MaxMessageSize}.");
        }

        problems.DefaultRetry(options.DefaultRetry);
        return [.. problems.Messages];
    }

    private static bool IsHostAndPort(string server)
    {
        var colon = server.LastIndexOf(':');
        return colon > 0 && ushort.TryParse(server.AsSpan(colon + 1), out var port) && port > 0;
    }
}

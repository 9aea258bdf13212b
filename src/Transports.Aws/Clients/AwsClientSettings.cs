using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;
using Amazon.SQS;

namespace Messaging.Adapters.Aws.Clients;

/// <summary>
/// Where the transport's requests go and how they are signed: the region, the credentials and the SQS and SNS
/// endpoints, from the options first and then from AWS's own chain (environment, profile, container and instance roles;
/// <c>AWS_ENDPOINT_URL_SQS</c>/<c>AWS_ENDPOINT_URL_SNS</c>, then <c>AWS_ENDPOINT_URL</c>).
/// </summary>
internal sealed record AwsClientSettings(RegionEndpoint Region, AWSCredentials Credentials, Uri? SqsEndpoint, Uri SnsEndpoint, Uri EventsEndpoint)
{
    private const string Prefix = AwsTransportOptions.SectionName + ":";

    public static AwsClientSettings Resolve(AwsTransportOptions options)
    {
        var region = options.Region is { Length: > 0 } name
            ? RegionEndpoint.GetBySystemName(name)
            : FallbackRegionFactory.GetRegionEndpoint()
              ?? throw new MessagingConfigurationException(Prefix + "Region", $"No AWS region is configured: set {Prefix}Region, or AWS_REGION, or a region in the AWS profile.");
        AWSCredentials credentials;
        if (options.Profile is { Length: > 0 } profile)
        {
            if (!new CredentialProfileStoreChain().TryGetAWSCredentials(profile, out credentials))
            {
                throw new MessagingConfigurationException(Prefix + "Profile", $"{Prefix}Profile names the AWS profile '{profile}', which is not in the shared credentials or config file.");
            }
        }
        else
        {
            try
            {
                credentials = DefaultAWSCredentialsIdentityResolver.GetCredentials(new AmazonSQSConfig { RegionEndpoint = region });
            }
            catch (AmazonClientException ex)
            {
                throw new MessagingConfigurationException(Prefix + "Profile", $"No AWS credentials were found (environment AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or {Prefix}Profile, web identity, container or instance role): {ex.Message}");
            }
        }

        var sqs = options.ServiceUrl ?? FromEnvironment("AWS_ENDPOINT_URL_SQS") ?? FromEnvironment("AWS_ENDPOINT_URL");
        var sns = options.ServiceUrl ?? FromEnvironment("AWS_ENDPOINT_URL_SNS") ?? FromEnvironment("AWS_ENDPOINT_URL") ?? Regional("sns", region);
        var events = options.ServiceUrl ?? FromEnvironment("AWS_ENDPOINT_URL_EVENTBRIDGE") ?? FromEnvironment("AWS_ENDPOINT_URL") ?? Regional("events", region);
        return new AwsClientSettings(region, credentials, sqs, sns, events);
    }

    /// <summary>The SQS client's configuration: the region or endpoint, standard (jittered) retries.</summary>
    public AmazonSQSConfig SqsConfig(AwsTransportOptions options)
    {
        var config = new AmazonSQSConfig
        {
            RegionEndpoint = Region,
            MaxErrorRetry = options.MaxErrorRetry,
            RetryMode = RequestRetryMode.Standard,

            // A long poll waits up to 20 s; the HTTP timeout must outlast it.
            Timeout = options.ReceiveWaitTime + TimeSpan.FromSeconds(30),
        };
        if (SqsEndpoint is not null)
        {
            config.ServiceURL = SqsEndpoint.ToString();
            config.AuthenticationRegion = Region.SystemName;
        }

        options.ConfigureSqs?.Invoke(config);
        return config;
    }

    private static Uri Regional(string service, RegionEndpoint region) =>
        new($"https://{service}.{region.SystemName}.{(region.SystemName.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com")}/");

    private static Uri? FromEnvironment(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text && Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : null;
}

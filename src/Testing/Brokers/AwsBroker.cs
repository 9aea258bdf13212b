using DotNet.Testcontainers.Containers;
using Testcontainers.LocalStack;

namespace Messaging.Adapters.Testing.Brokers;

/// <summary>
/// SQS and SNS on LocalStack through Testcontainers.LocalStack; the transport gets its endpoint and region. LocalStack
/// checks no credentials, but the AWS SDK needs some: set <c>AWS_ACCESS_KEY_ID</c> and <c>AWS_SECRET_ACCESS_KEY</c>
/// (any values) in the test's environment.
/// </summary>
internal sealed class AwsBroker : IBrokerDefinition
{
    public string Transport => "Aws";

    public string Image(MessagingBrokerOptions options, Func<string, string?> environment) =>
        BrokerImage.Resolve(
            options.LocalStackImage,
            MessagingBrokerOptions.LocalStackImageVariable,
            MessagingBrokerOptions.DefaultLocalStackImage,
            environment);

    public ushort ContainerPort => LocalStackBuilder.LocalStackPort;

    public IContainer Create(string image, ushort hostPort, IReadOnlyDictionary<string, string> labels) =>
        new LocalStackBuilder(image).WithPortBinding(hostPort, ContainerPort).WithLabel(labels).Build();

    public IReadOnlyDictionary<string, string?> Settings(IContainer container, MessagingBrokerOptions options) =>
        Settings(new Uri(((LocalStackContainer)container).GetConnectionString()), options.AwsRegion);

    public static IReadOnlyDictionary<string, string?> Settings(Uri serviceUrl, string region) =>
        new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "Aws",
            ["Messaging:Aws:ServiceUrl"] = serviceUrl.ToString(),
            ["Messaging:Aws:Region"] = region,
        };
}

namespace Messaging.Adapters.Integration.Transports.Aws;

/// <summary>
/// The standard AWS variables the tests run with: where unset, the local emulator's endpoint, a region, dummy
/// credentials, and no instance metadata lookups (which would hang off EC2).
/// </summary>
internal static class AwsTestEnvironment
{
    public const string LocalEndpoint = "http://127.0.0.1:4566";

    public static string Description =>
        $"SQS/SNS at {Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") ?? "AWS's regional endpoints"} in {Environment.GetEnvironmentVariable("AWS_REGION")} (set AWS_ENDPOINT_URL to use another endpoint, MESSAGING_AWS_REAL=true for real AWS; the local emulator is started by eng/brokers/aws.sh)";

    public static void Apply()
    {
        var real = string.Equals(Environment.GetEnvironmentVariable("MESSAGING_AWS_REAL"), "true", StringComparison.OrdinalIgnoreCase);
        Default("AWS_REGION", Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1");
        if (real)
        {
            return;
        }

        Default("AWS_ENDPOINT_URL", LocalEndpoint);
        Default("AWS_ACCESS_KEY_ID", "test");
        Default("AWS_SECRET_ACCESS_KEY", "test");
        Default("AWS_EC2_METADATA_DISABLED", "true");
    }

    private static void Default(string variable, string value)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            Environment.SetEnvironmentVariable(variable, value);
        }
    }
}

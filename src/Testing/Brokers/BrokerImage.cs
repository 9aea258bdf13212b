namespace Messaging.Adapters.Testing.Brokers;

/// <summary>Which image a broker runs: the option when set, else the environment variable when set, else the default.</summary>
internal static class BrokerImage
{
    public static string Resolve(string? option, string variable, string defaultImage, Func<string, string?> environment)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return option;
        }

        var fromEnvironment = environment(variable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? defaultImage : fromEnvironment;
    }
}

using System.Globalization;

namespace OrderWorkflow.Services;

/// <summary>How the story writes amounts and order lines, the same way on every machine.</summary>
internal static class Describe
{
    public static string Money(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture) + " EUR";

    public static string Lines(IEnumerable<OrderLine> lines) => string.Join(", ", lines);
}

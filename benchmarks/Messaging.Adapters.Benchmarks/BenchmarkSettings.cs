using System.Globalization;

namespace Messaging.Adapters.Benchmarks;

/// <summary>
/// What to run, from the command line. Every value has a default, so a bare run measures the standard matrix.
/// </summary>
internal sealed record BenchmarkSettings
{
    public const string Usage = """
        Usage: dotnet run -c Release --project benchmarks/Messaging.Adapters.Benchmarks -- [options]

          --messages N        messages per measured run, await-each and batched modes (default 300000)
          --one-in-flight N   messages per measured run in one-in-flight mode (default 100000)
          --warmup N          messages per warm-up run, one per cell and pipeline (default 100000)
          --repeat R          measured runs per cell and pipeline; the median by throughput is reported (default 3)
          --batch B           messages per PublishBatchAsync call in batched mode (default 100)
          --max-in-flight M   the subscription's ConsumerOptions.MaxInFlight (default: the contract's default, 16)
          --sizes 16,256      payload sizes in bytes, each at least 4 (default 16,256)
          --output FILE       also write the Markdown report to FILE
          --help              print this text
        """;

    public int Messages { get; init; } = 300_000;

    public int OneInFlightMessages { get; init; } = 100_000;

    public int WarmupMessages { get; init; } = 100_000;

    public int Repeat { get; init; } = 3;

    public int BatchSize { get; init; } = 100;

    public int MaxInFlight { get; init; } = new ConsumerOptions().MaxInFlight;

    public IReadOnlyList<int> PayloadSizes { get; init; } = [16, 256];

    public string? OutputFile { get; init; }

    public bool ShowHelp { get; init; }

    /// <summary>Reads the settings; throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public static BenchmarkSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new BenchmarkSettings();
        for (var i = 0; i < args.Count; i++)
        {
            var option = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"Option {option} needs a value.");
            settings = option switch
            {
                "--messages" => settings with { Messages = Positive(option, Value()) },
                "--one-in-flight" => settings with { OneInFlightMessages = Positive(option, Value()) },
                "--warmup" => settings with { WarmupMessages = Positive(option, Value()) },
                "--repeat" => settings with { Repeat = Positive(option, Value()) },
                "--batch" => settings with { BatchSize = Positive(option, Value()) },
                "--max-in-flight" => settings with { MaxInFlight = Positive(option, Value()) },
                "--sizes" => settings with { PayloadSizes = Value().Split(',').Select(s => Positive(option, s)).ToList() },
                "--output" => settings with { OutputFile = Value() },
                "--help" or "-h" => settings with { ShowHelp = true },
                _ => throw new ArgumentException($"Unknown option '{option}'."),
            };
        }

        if (settings.PayloadSizes.Any(size => size < Payload.SequenceBytes))
        {
            throw new ArgumentException($"--sizes: every size must be at least {Payload.SequenceBytes} bytes (the sequence number).");
        }

        return settings;
    }

    private static int Positive(string option, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"Option {option} needs a positive whole number, was '{text}'.");
}

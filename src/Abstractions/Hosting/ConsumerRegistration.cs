namespace Messaging.Adapters.Hosting;

/// <summary>
/// One consumer the hosted service starts with the application and stops, gracefully, with it.
/// </summary>
/// <param name="Description">What it consumes, for logs and errors, for example <c>queue 'payments'</c>.</param>
/// <param name="Start">Starts the consumer on the application's transport.</param>
public sealed record ConsumerRegistration(string Description, Func<IServiceProvider, ITransport, CancellationToken, Task<IConsumer>> Start)
{
    /// <summary>The most competing consumers one registration may start in one process.</summary>
    public const int MaxCount = 100;

    /// <summary>The consumer's name under <c>Messaging:Consumers</c>: the queue, <c>&lt;topic&gt;.&lt;subscription&gt;</c>
    /// or <c>&lt;stream&gt;.&lt;reader group&gt;</c> (the name its dead letters give as their source).</summary>
    /// <value>The default value is <see langword="null"/>: the consumer has no configuration of its own.</value>
    public string? Name { get; init; }

    /// <summary>How many competing consumers to start, each with its own in-flight limit.</summary>
    /// <value>The default value is 1. Valid values are 1 to <see cref="MaxCount"/>;
    /// <c>Messaging:Consumers:&lt;name&gt;:Count</c> overrides it.</value>
    public int Count { get; init; } = 1;
}

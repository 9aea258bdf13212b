namespace Messaging.Adapters;

/// <summary>
/// The <c>Messaging</c> configuration section: which transport to use, the default retry policy, and shutdown.
/// </summary>
public sealed class MessagingOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string SectionName = "Messaging";

    /// <summary>The transport: <c>InMemory</c>, <c>RabbitMq</c>, <c>Kafka</c>, <c>Aws</c>, or another adapter's name
    /// (case-insensitive); its adapter package must be installed, or the transport added with <c>AddMessagingTransport</c>.
    /// Its own options are read from <c>Messaging:&lt;Transport&gt;</c>.</summary>
    /// <value>The default value is <c>InMemory</c>.</value>
    public string Transport { get; set; } = TransportCatalog.InMemory;

    /// <summary>The default retry policy (<c>Messaging:Retry</c>).</summary>
    public RetryOptions Retry { get; set; } = new();

    /// <summary>Settings of single hosted consumers, by name (<c>Messaging:Consumers:&lt;name&gt;</c>): the queue,
    /// <c>&lt;topic&gt;.&lt;subscription&gt;</c> or <c>&lt;stream&gt;.&lt;reader group&gt;</c>. They win over what the
    /// code registered; a name that no hosted consumer has stops start-up.</summary>
    /// <value>The default value is empty.</value>
    public Dictionary<string, ConsumerSettings> Consumers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Where idempotent consumers remember the ids they handled (<c>Messaging:Idempotency</c>).</summary>
    public IdempotencyOptions Idempotency { get; set; } = new();

    /// <summary>How long <see cref="IRequestClient.GetResponseAsync"/> waits for a response when the call gives no
    /// timeout (<c>Messaging:RequestTimeout</c>).</summary>
    /// <value>The default value is 30 seconds. Valid values are 1 millisecond to 1 hour.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long hosted consumers may take to finish the messages in flight when the application stops;
    /// what is still running then is cancelled and left for redelivery.</summary>
    /// <value>The default value is 30 seconds. Valid values are 0 to 1 hour.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What a hosted consumer that stopped on its own because of an error (<see cref="IConsumer.Completion"/>
    /// faulted: its queue was deleted, its reader failed) does to the application (<c>Messaging:ConsumerFailure</c>).</summary>
    /// <value>The default value is <see cref="ConsumerFailureAction.StopHost"/>: a service whose consumer died should not
    /// look healthy.</value>
    public ConsumerFailureAction ConsumerFailure { get; set; } = ConsumerFailureAction.StopHost;

    /// <summary>How long a hosted consumer that died waits before it is started again, with
    /// <see cref="ConsumerFailureAction.Restart"/> (<c>Messaging:ConsumerRestartDelay</c>).</summary>
    /// <value>The default value is 5 seconds. Valid values are 0 to 1 hour.</value>
    public TimeSpan ConsumerRestartDelay { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// What a hosted consumer that stopped because of an error does to the application.
/// </summary>
public enum ConsumerFailureAction
{
    /// <summary>Log the error and stop the application (<c>IHostApplicationLifetime.StopApplication</c>), so an
    /// orchestrator restarts it and its health shows the failure.</summary>
    StopHost = 0,

    /// <summary>Log the error and start the consumer again after <see cref="MessagingOptions.ConsumerRestartDelay"/>,
    /// until the application stops.</summary>
    Restart = 1,
}

/// <summary>
/// The <c>Messaging:Consumers:&lt;name&gt;</c> configuration section: one hosted consumer's own settings.
/// </summary>
public sealed class ConsumerSettings
{
    /// <summary>The consumer's retry policy (<c>Messaging:Consumers:&lt;name&gt;:Retry</c>); a value it leaves out comes
    /// from <c>Messaging:Retry</c>.</summary>
    /// <value>The default value is <see langword="null"/>: the retry policy the code gave, else <c>Messaging:Retry</c>.</value>
    public RetryOptions? Retry { get; set; }

    /// <summary>Whether the consumer skips a message id it has handled already (<c>Messaging:Consumers:&lt;name&gt;:Idempotent</c>),
    /// through <see cref="IdempotentHandler"/> and the application's <see cref="IIdempotencyStore"/>, with the consumer's
    /// name as the store's consumer.</summary>
    /// <value>The default value is <see langword="null"/>: every delivery is handled. Set it in code with
    /// <c>services.Configure&lt;MessagingOptions&gt;(o =&gt; o.Consumers["payments"] = new() { Idempotent = true })</c>.</value>
    /// <remarks>The default store, <see cref="InMemoryIdempotencyStore"/>, remembers ids in this process only: choose
    /// <c>Messaging:Idempotency:Store</c> = <c>Directory</c>, or register a durable <see cref="IIdempotencyStore"/>, for
    /// de-duplication across restarts and processes.</remarks>
    public bool? Idempotent { get; set; }

    /// <summary>How many competing consumers to start in this process (<c>Messaging:Consumers:&lt;name&gt;:Count</c>).</summary>
    /// <value>The default value is <see langword="null"/>: the count the code gave (1 by default). Valid values are 1 to 100.</value>
    public int? Count { get; set; }
}

/// <summary>
/// The <c>Messaging:Retry</c> configuration section; see <see cref="RetryPolicy"/> for what each value means.
/// </summary>
public sealed class RetryOptions
{
    /// <summary>See <see cref="RetryPolicy.MaxAttempts"/>.</summary>
    /// <value>The default value is 5. Valid values are 1 to 1,000.</value>
    public int MaxAttempts { get; set; } = RetryPolicy.Default.MaxAttempts;

    /// <summary>See <see cref="RetryPolicy.ImmediateRetries"/>.</summary>
    /// <value>The default value is 2. Valid values are 0 to 100.</value>
    public int ImmediateRetries { get; set; } = RetryPolicy.Default.ImmediateRetries;

    /// <summary>See <see cref="RetryPolicy.InitialDelay"/>.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan InitialDelay { get; set; } = RetryPolicy.Default.InitialDelay;

    /// <summary>See <see cref="RetryPolicy.BackoffMultiplier"/>.</summary>
    /// <value>The default value is 2. Valid values are 1 to 100.</value>
    public double BackoffMultiplier { get; set; } = RetryPolicy.Default.BackoffMultiplier;

    /// <summary>See <see cref="RetryPolicy.MaxDelay"/>.</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan MaxDelay { get; set; } = RetryPolicy.Default.MaxDelay;

    /// <summary>The policy these options describe.</summary>
    /// <returns>The retry policy.</returns>
    public RetryPolicy ToPolicy() => new()
    {
        MaxAttempts = MaxAttempts,
        ImmediateRetries = ImmediateRetries,
        InitialDelay = InitialDelay,
        BackoffMultiplier = BackoffMultiplier,
        MaxDelay = MaxDelay,
    };
}

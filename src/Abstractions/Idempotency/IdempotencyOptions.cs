namespace Messaging.Adapters;

/// <summary>
/// The <c>Messaging:Idempotency</c> configuration section: which <see cref="IIdempotencyStore"/> the idempotent
/// consumers (<c>Messaging:Consumers:&lt;name&gt;:Idempotent</c>) remember handled ids in.
/// </summary>
/// <remarks>An <see cref="IIdempotencyStore"/> the application registers itself (before or after <c>AddMessaging</c>)
/// wins over this section.</remarks>
public sealed class IdempotencyOptions
{
    /// <summary>The store (<c>Messaging:Idempotency:Store</c>).</summary>
    /// <value>The default value is <see cref="IdempotencyStoreKind.InMemory"/>.</value>
    public IdempotencyStoreKind Store { get; set; } = IdempotencyStoreKind.InMemory;

    /// <summary>The directory of <see cref="IdempotencyStoreKind.Directory"/> (<c>Messaging:Idempotency:Directory</c>);
    /// every process that must not handle an id twice uses the same one.</summary>
    /// <value>The default value is <see langword="null"/>. Required with <see cref="IdempotencyStoreKind.Directory"/>; it
    /// is created if missing, and must be writable (checked at start-up).</value>
    public string? Directory { get; set; }

    /// <summary>How long a handled id is remembered (<c>Messaging:Idempotency:Retention</c>): a copy redelivered later is
    /// handled again. Set it above the longest time a broker may redeliver a message after.</summary>
    /// <value>The default value is 1 hour. Valid values are 1 second to 365 days.</value>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a claim of <see cref="IdempotencyStoreKind.Directory"/> holds before it is taken to be abandoned
    /// by a process that died while handling, and another process may handle the id (<c>Messaging:Idempotency:ClaimLease</c>).
    /// Set it above the longest handler run.</summary>
    /// <value>The default value is 5 minutes. Valid values are 1 second to 1 day.</value>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The store these options describe.</summary>
    internal IIdempotencyStore CreateStore(TimeProvider? timeProvider) => Store == IdempotencyStoreKind.Directory
        ? new DirectoryIdempotencyStore(Directory!, Retention, ClaimLease, timeProvider)
        : new InMemoryIdempotencyStore(Retention, timeProvider);

    /// <summary>Every problem, each naming its key.</summary>
    internal IEnumerable<string> FindProblems()
    {
        const string Key = $"{MessagingOptions.SectionName}:{nameof(MessagingOptions.Idempotency)}";
        if (!Enum.IsDefined(Store))
        {
            yield return $"{Key}:Store must be one of {string.Join(", ", Enum.GetNames<IdempotencyStoreKind>())}, was {Store}.";
        }

        if (Retention < TimeSpan.FromSeconds(1) || Retention > TimeSpan.FromDays(365))
        {
            yield return $"{Key}:Retention must be 00:00:01..365.00:00:00, was {Retention}.";
        }

        if (ClaimLease < TimeSpan.FromSeconds(1) || ClaimLease > TimeSpan.FromDays(1))
        {
            yield return $"{Key}:ClaimLease must be 00:00:01..1.00:00:00, was {ClaimLease}.";
        }

        if (Store != IdempotencyStoreKind.Directory)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(Directory))
        {
            yield return $"{Key}:Directory is required when {Key}:Store is Directory: the directory where handled message ids are kept, shared by every instance of the application.";
        }
        else if (DirectoryIdempotencyStore.FindProblem(Directory) is { } problem)
        {
            yield return $"{Key}:Directory '{Directory}' cannot hold the idempotency store (it must exist or be creatable, and be writable): {problem}";
        }
    }
}

/// <summary>
/// The stores <c>Messaging:Idempotency:Store</c> can name.
/// </summary>
public enum IdempotencyStoreKind
{
    /// <summary><see cref="InMemoryIdempotencyStore"/>: this process only, forgotten on restart.</summary>
    InMemory = 0,

    /// <summary><see cref="DirectoryIdempotencyStore"/> in <c>Messaging:Idempotency:Directory</c>: survives restarts and is
    /// shared by the processes that use the same directory.</summary>
    Directory = 1,
}

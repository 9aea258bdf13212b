namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// A handler that fails every message (recording it in <see cref="Failures"/>) until <see cref="Fix"/> is called, and
/// from then on handles them (recording them in <see cref="Handled"/>): a bug found, dead letters piling up, the fix
/// deployed, the dead letters redriven.
/// </summary>
/// <param name="failures">Records the failed attempts.</param>
/// <param name="handled">Records the messages handled after the fix.</param>
public sealed class FailsUntilFixed(DeliveryLog failures, DeliveryLog handled)
{
    private int _fixed;

    /// <summary>The failed attempts.</summary>
    public DeliveryLog Failures { get; } = failures;

    /// <summary>The messages handled after the fix.</summary>
    public DeliveryLog Handled { get; } = handled;

    /// <summary>The handler.</summary>
    public MessageHandler Handler => (message, _) =>
    {
        if (Volatile.Read(ref _fixed) == 0)
        {
            Failures.Record(message);
            throw new InvalidOperationException("conformance: not fixed yet");
        }

        Handled.Record(message);
        return ValueTask.CompletedTask;
    };

    /// <summary>From now on messages are handled.</summary>
    public void Fix() => Volatile.Write(ref _fixed, 1);
}

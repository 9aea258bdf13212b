using System.Diagnostics;
using Messaging.Adapters.RabbitMq;
using Messaging.Adapters.Testing;

// One RabbitMQ container per test process at most, removed after the last test (see RabbitMqTestBroker).
[assembly: AssemblyFixture(typeof(Messaging.Adapters.Tests.Brokers.RabbitMqTestBroker))]

namespace Messaging.Adapters.Tests.Brokers;

/// <summary>
/// The RabbitMQ broker a test process uses. With <c>MESSAGING_RABBITMQ_URI</c> set, the broker at that address (no
/// container engine needed; the broker's own <c>rabbitmqctl</c>, or <c>MESSAGING_RABBITMQCTL</c>, runs its commands).
/// Without it, a container started through <c>Messaging.Adapters.Testing</c> on first use, shared by every test of the
/// process and removed after the last one (this class is the assembly fixture that removes it).
/// </summary>
/// <remarks>
/// Fault tests that stop, pause or drop the broker take a broker of their own (<see cref="StartOwnAsync"/>), so they
/// never disturb the tests that share this one. Neither path ever skips: a broker that cannot be had fails the test,
/// naming the address or the container engine's error.
/// </remarks>
public sealed class RabbitMqTestBroker : IAsyncDisposable
{
    /// <summary>The environment variable naming the command that runs <c>rabbitmqctl</c> against the broker at
    /// <c>MESSAGING_RABBITMQ_URI</c> (for example <c>docker exec rabbit rabbitmqctl</c>); default <c>rabbitmqctl</c>.</summary>
    public const string RabbitmqctlEnvironmentVariable = "MESSAGING_RABBITMQCTL";

    // A container's first start includes the engine creating it and RabbitMQ booting (about 10 s on two cores, more
    // while other test processes boot theirs): generous, and outside every test's own time budget.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private static readonly Lazy<Task<MessagingBroker>> Shared = new(() => StartContainerAsync(CancellationToken.None));

    /// <summary>The address from <c>MESSAGING_RABBITMQ_URI</c>, or <see langword="null"/> when the tests run on a container.</summary>
    public static Uri? ConfiguredUri { get; } =
        Environment.GetEnvironmentVariable(RabbitMqTransportOptions.UriEnvironmentVariable) is { Length: > 0 } configured ? new Uri(configured) : null;

    /// <summary>Whether the tests run on a container of their own rather than on an existing broker.</summary>
    public static bool InContainer => ConfiguredUri is null;

    /// <summary>Where the shared broker is, for messages: the address and how it was chosen, never the password.</summary>
    public static string Describe(Uri uri) => InContainer
        ? $"RabbitMQ in a container at {Redacted(uri)} (set {RabbitMqTransportOptions.UriEnvironmentVariable} to use an existing broker)"
        : $"RabbitMQ at {Redacted(uri)} ({RabbitMqTransportOptions.UriEnvironmentVariable})";

    /// <summary>The shared broker's address, starting its container on first use.</summary>
    /// <param name="cancellationToken">Cancels the wait (not the container's start, which other tests share).</param>
    /// <param name="shareWithFaultTests">With an existing broker: hold it shared for the life of this process, so that
    /// the fault tests of another process wait before restarting it (<see cref="TakeExclusivelyAsync"/>). A process that
    /// runs fault tests itself must not hold it.</param>
    /// <returns>The AMQP address, with credentials.</returns>
    public static async Task<Uri> UriAsync(CancellationToken cancellationToken, bool shareWithFaultTests = false)
    {
        if (ConfiguredUri is { } configured)
        {
            if (shareWithFaultTests)
            {
                await HoldSharedAsync(cancellationToken);
            }

            return configured;
        }

        return AmqpUri(await Shared.Value.WaitAsync(cancellationToken));
    }

    /// <summary>Runs <c>rabbitmqctl</c> on the shared broker and returns what it printed; fails with its output when it
    /// does not succeed.</summary>
    /// <param name="arguments">The command and its arguments, for example <c>list_queues name</c>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The command's standard output.</returns>
    public static async Task<string> RabbitmqctlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (InContainer)
        {
            return await (await Shared.Value.WaitAsync(cancellationToken)).ExecAsync(["rabbitmqctl", .. arguments], cancellationToken);
        }

        return await RunConfiguredRabbitmqctlAsync(arguments, cancellationToken);
    }

    /// <summary>A broker in a container of its own, for a test that stops, pauses or drops it; the caller disposes it.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running broker.</returns>
    public static Task<MessagingBroker> StartOwnAsync(CancellationToken cancellationToken) => StartContainerAsync(cancellationToken);

    /// <summary>
    /// Takes the broker at <c>MESSAGING_RABBITMQ_URI</c> for a fault test that restarts it: waits until no other test
    /// process shares it (they hold a shared lock on one file for as long as they live), then holds it exclusively until
    /// disposed. A container of the test's own (<see cref="StartOwnAsync"/>) needs none of this.
    /// </summary>
    /// <param name="timeout">How long to wait for the other processes.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The exclusive hold; dispose it to let others share the broker again.</returns>
    public static async Task<IDisposable> TakeExclusivelyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Another process's file lock has no notification to wait on: poll.
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }

    /// <summary>A broker's AMQP address, from the settings the Testing package hands to <c>AddMessaging</c>.</summary>
    /// <param name="broker">A RabbitMQ broker.</param>
    /// <returns>The address, with credentials.</returns>
    public static Uri AmqpUri(MessagingBroker broker) => new(broker.Settings["Messaging:RabbitMq:Uri"]!);

    /// <summary>Removes the shared container, if this process started one.</summary>
    /// <returns>A task that completes when it is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Shared.IsValueCreated && Shared.Value.IsCompletedSuccessfully)
        {
            await Shared.Value.Result.DisposeAsync();
        }
    }

    // An existing broker is shared with the other test processes of a run; a fault test restarting it takes this file
    // exclusively. Held for the life of the process, once it is had.
    private static string LockPath => Path.Combine(Path.GetTempPath(), "messaging-adapters-rabbitmq-faults.lock");

    private static FileStream? sharedHold;

    private static async Task HoldSharedAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref sharedHold) is null)
        {
            try
            {
                var hold = new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
                if (Interlocked.CompareExchange(ref sharedHold, hold, null) is not null)
                {
                    await hold.DisposeAsync();
                }
            }
            catch (IOException)
            {
                // A fault test holds it exclusively: wait for the broker to be back to normal.
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
    }

    private static async Task<MessagingBroker> StartContainerAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        try
        {
            return await MessagingBroker.StartAsync("RabbitMq", cancellationToken: timeout.Token);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            throw new InvalidOperationException(
                $"No RabbitMQ container could be started ({error.GetType().Name}: {error.Message}). The tests start one with a "
                + $"container engine (bash eng/brokers/containers.sh installs and starts one and builds the image), or use an "
                + $"existing broker through {RabbitMqTransportOptions.UriEnvironmentVariable}.",
                error);
        }
    }

    private static async Task<string> RunConfiguredRabbitmqctlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var command = (Environment.GetEnvironmentVariable(RabbitmqctlEnvironmentVariable) is { Length: > 0 } configured ? configured : "rabbitmqctl")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var part in command.Skip(1).Concat(arguments))
        {
            start.ArgumentList.Add(part);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command[0]}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{string.Join(' ', command.Concat(arguments))}' exited with {process.ExitCode}: {await output} {await error}");
        }

        return await output;
    }

    private static string Redacted(Uri uri) =>
        uri.UserInfo.Contains(':', StringComparison.Ordinal) ? new UriBuilder(uri) { Password = "***" }.Uri.ToString() : uri.ToString();
}

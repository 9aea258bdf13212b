using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Messaging.Adapters;

/// <summary>
/// A durable <see cref="IIdempotencyStore"/> in a directory: one small file per consumer and message id, so that
/// de-duplication survives restarts and is shared by every process that uses the same directory (on one host, or on a
/// shared file system that honours exclusive creation, such as NFSv3+ or SMB).
/// </summary>
/// <remarks>
/// <para>Layout: <c>&lt;directory&gt;/&lt;consumer&gt;/&lt;SHA-256 of the id&gt;.claim</c> while a handler holds the id,
/// <c>.handled</c> once it completed. The consumer's folder name keeps letters, digits, <c>.</c>, <c>_</c> and
/// <c>-</c> and escapes the rest; ids are hashed, so any id is a safe file name. Each file holds the time it was
/// written (and, for a claim, its owner's token), then the message id, for operators.</para>
/// <para>A claim is the atomic creation of the <c>.claim</c> file (<see cref="FileMode.CreateNew"/>): of many
/// handlers in many processes, exactly one creates it. Completing writes <c>.handled</c> (written aside and renamed
/// into place, so it is never seen half written) before removing the claim; releasing removes the claim. A claim older
/// than the lease is taken to be its owner's that died mid-handling and is taken over by the next claimer (one
/// takeover per claim, serialised by a <c>.takeover</c> file), so set the lease above the longest handler run.</para>
/// <para>Handled ids are remembered for the retention period: an older <c>.handled</c> file no longer counts, and a
/// cleanup that removes such files (and abandoned temporary files) runs in the background at most once per retention
/// period, never on a claim's path; <see cref="RemoveExpiredAsync"/> runs it on demand.</para>
/// </remarks>
public sealed class DirectoryIdempotencyStore : IIdempotencyStore
{
    private const string ClaimExtension = ".claim";
    private const string HandledExtension = ".handled";
    private const string TakeoverExtension = ".takeover";
    private const string TemporaryExtension = ".tmp";

    private readonly TimeSpan _retention;
    private readonly TimeSpan _lease;
    private readonly TimeProvider _time;

    // The token of each claim this store holds, so that completing or releasing removes only its own claim, never one
    // a takeover gave to another process.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Consumer, string MessageId), string> _held = new();
    private long _nextCleanupTicks;
    private int _cleaning;

    /// <summary>Creates the store; the directory is created if it does not exist.</summary>
    /// <param name="directory">Where the files live; share it between the processes that must not handle an id twice.</param>
    /// <param name="retention">How long a handled id is remembered; <see langword="null"/> for one hour.</param>
    /// <param name="claimLease">How long a claim holds before it is taken to be abandoned; <see langword="null"/> for
    /// five minutes.</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for the system clock. Processes that share the
    /// directory should agree on the time: the files carry the writer's time.</param>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is empty, or a period is not positive.</exception>
    public DirectoryIdempotencyStore(string directory, TimeSpan? retention = null, TimeSpan? claimLease = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _retention = retention ?? TimeSpan.FromHours(1);
        _lease = claimLease ?? TimeSpan.FromMinutes(5);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_retention, TimeSpan.Zero, nameof(retention));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_lease, TimeSpan.Zero, nameof(claimLease));
        _time = timeProvider ?? TimeProvider.System;
        Directory = System.IO.Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
        _nextCleanupTicks = _time.GetUtcNow().UtcTicks + _retention.Ticks;
    }

    /// <summary>The directory the store keeps its files in (full path).</summary>
    public string Directory { get; }

    /// <inheritdoc />
    public async ValueTask<IdempotencyClaim> TryClaimAsync(string consumer, string messageId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        ArgumentNullException.ThrowIfNull(messageId);
        var now = _time.GetUtcNow();
        CleanUpIfDue(now);
        var paths = PathsOf(consumer, messageId);
        System.IO.Directory.CreateDirectory(paths.Folder);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (await IsHandledAsync(paths, now, cancellationToken).ConfigureAwait(false))
            {
                return IdempotencyClaim.AlreadyHandled;
            }

            var token = Guid.NewGuid().ToString("N");
            if (await TryCreateAsync(paths.Claim, Record(now, token, messageId), cancellationToken).ConfigureAwait(false))
            {
                // A holder may have completed between the check above and the creation: it writes .handled before
                // removing its claim, so the id shows as handled now.
                if (await IsHandledAsync(paths, now, cancellationToken).ConfigureAwait(false))
                {
                    DeleteIfOwned(paths.Claim, token);
                    return IdempotencyClaim.AlreadyHandled;
                }

                Remember(consumer, messageId, token);
                return IdempotencyClaim.Claimed;
            }

            var existing = await ReadAsync(paths.Claim, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                continue; // released meanwhile: try again
            }

            if (now - existing.Value.At <= _lease)
            {
                return IdempotencyClaim.InProgress;
            }

            if (await TryTakeOverAsync(paths, existing.Value.Token, now, messageId, cancellationToken).ConfigureAwait(false) is { } takenOver)
            {
                Remember(consumer, messageId, takenOver);
                return IdempotencyClaim.Claimed;
            }

            return IdempotencyClaim.InProgress;
        }

        return IdempotencyClaim.InProgress;
    }

    /// <inheritdoc />
    public async ValueTask CompleteAsync(string consumer, string messageId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        ArgumentNullException.ThrowIfNull(messageId);
        var paths = PathsOf(consumer, messageId);
        System.IO.Directory.CreateDirectory(paths.Folder);
        var aside = paths.Handled + "." + Guid.NewGuid().ToString("N") + TemporaryExtension;
        await File.WriteAllTextAsync(aside, Record(_time.GetUtcNow(), token: null, messageId), cancellationToken).ConfigureAwait(false);
        File.Move(aside, paths.Handled, overwrite: true);
        if (Forget(consumer, messageId) is { } token)
        {
            DeleteIfOwned(paths.Claim, token);
        }
    }

    /// <inheritdoc />
    public ValueTask ReleaseAsync(string consumer, string messageId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        ArgumentNullException.ThrowIfNull(messageId);
        if (Forget(consumer, messageId) is { } token)
        {
            DeleteIfOwned(PathsOf(consumer, messageId).Claim, token);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Removes the handled ids older than the retention period, and claims, takeover markers and temporary
    /// files abandoned for longer than the lease; runs on its own in the background once per retention period.</summary>
    /// <param name="cancellationToken">Cancels the cleanup between files.</param>
    /// <returns>How many files were removed.</returns>
    public async Task<int> RemoveExpiredAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var removed = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await IsExpiredAsync(file, now, cancellationToken).ConfigureAwait(false))
                {
                    File.Delete(file);
                    removed++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Removed or replaced by another process meanwhile; the next cleanup looks again.
            }
        }

        return removed;
    }

    /// <summary>Why the store cannot work in <paramref name="directory"/> (it cannot be created, or a file cannot be
    /// created in it exclusively and removed), or <see langword="null"/> when it can.</summary>
    internal static string? FindProblem(string directory)
    {
        try
        {
            var full = System.IO.Path.GetFullPath(directory);
            System.IO.Directory.CreateDirectory(full);
            var probe = System.IO.Path.Combine(full, ".probe-" + Guid.NewGuid().ToString("N") + TemporaryExtension);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
            }

            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return ex.Message;
        }
    }

    private async ValueTask<bool> IsExpiredAsync(string file, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (file.EndsWith(HandledExtension, StringComparison.Ordinal))
        {
            return await ReadAsync(file, cancellationToken).ConfigureAwait(false) is not { } handled || now - handled.At > _retention;
        }

        if (file.EndsWith(ClaimExtension, StringComparison.Ordinal))
        {
            // An abandoned claim whose message never came back: nobody will take it over.
            return await ReadAsync(file, cancellationToken).ConfigureAwait(false) is { } claim && now - claim.At > _retention + _lease;
        }

        // Takeover markers live for microseconds and temporary files until their rename: older ones were abandoned.
        return (file.EndsWith(TakeoverExtension, StringComparison.Ordinal) || file.EndsWith(TemporaryExtension, StringComparison.Ordinal))
            && now.UtcDateTime - File.GetLastWriteTimeUtc(file) > _lease;
    }

    /// <summary>Takes over an expired claim: only the claimer that creates <c>&lt;claim&gt;.&lt;token&gt;.takeover</c>
    /// for the claim's token rewrites it, and only if it still holds that token.</summary>
    private static async ValueTask<string?> TryTakeOverAsync(ClaimPaths paths, string staleToken, DateTimeOffset now, string messageId, CancellationToken cancellationToken)
    {
        var marker = paths.Claim + "." + staleToken + TakeoverExtension;
        if (!await TryCreateAsync(marker, Record(now, token: null, messageId), cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            var token = Guid.NewGuid().ToString("N");
            if (await ReadAsync(paths.Claim, cancellationToken).ConfigureAwait(false) is not { } current || current.Token != staleToken)
            {
                return null;
            }

            var aside = paths.Claim + "." + token + TemporaryExtension;
            await File.WriteAllTextAsync(aside, Record(now, token, messageId), cancellationToken).ConfigureAwait(false);
            File.Move(aside, paths.Claim, overwrite: true);
            return token;
        }
        finally
        {
            File.Delete(marker);
        }
    }

    private async ValueTask<bool> IsHandledAsync(ClaimPaths paths, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await ReadAsync(paths.Handled, cancellationToken).ConfigureAwait(false) is not { } handled)
        {
            return false;
        }

        if (now - handled.At <= _retention)
        {
            return true;
        }

        // Forgotten: the id may be handled again.
        TryDelete(paths.Handled);
        return false;
    }

    private static async ValueTask<bool> TryCreateAsync(string path, string content, CancellationToken cancellationToken)
    {
        FileStream stream;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 1, FileOptions.None);
                break;
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }
            catch (IOException) when (attempt < 3)
            {
                // The file existed when we tried and its holder removed it before we looked (a takeover marker lives for
                // microseconds): it is free now, so try again. Any other error repeats and surfaces.
            }
        }

        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(content), cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Reads a record; <see langword="null"/> when the file does not exist. A claim seen in the instant between
    /// its creation and its first bytes is dated by the file system.</summary>
    private static async ValueTask<Entry?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        var lines = text.Split('\n');
        if (lines.Length >= 2 && long.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && ticks <= DateTimeOffset.MaxValue.UtcTicks)
        {
            return new Entry(new DateTimeOffset(ticks, TimeSpan.Zero), lines[1]);
        }

        return new Entry(new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero), string.Empty);
    }

    private static string Record(DateTimeOffset at, string? token, string messageId) =>
        string.Create(CultureInfo.InvariantCulture, $"{at.UtcTicks}\n{token}\n{messageId}\n");

    private static void DeleteIfOwned(string claim, string token)
    {
        try
        {
            // Read without async: the file is a few dozen bytes and the delete must follow at once.
            var lines = File.ReadAllText(claim).Split('\n');
            if (lines.Length >= 2 && lines[1] == token)
            {
                File.Delete(claim);
            }
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // Already gone.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Another process removed or replaced it.
        }
    }

    private ClaimPaths PathsOf(string consumer, string messageId)
    {
        var folder = System.IO.Path.Combine(Directory, FolderName(consumer));
        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(messageId)));
        var file = System.IO.Path.Combine(folder, name);
        return new ClaimPaths(folder, file + ClaimExtension, file + HandledExtension);
    }

    /// <summary>The consumer's folder: its name with every character but letters, digits, '_' and '-' escaped as
    /// <c>.xx</c> (UTF-8 bytes in hex), so that distinct names never share a folder and none is '.' or '..'.</summary>
    private static string FolderName(string consumer)
    {
        var name = new StringBuilder(consumer.Length);
        foreach (var b in Encoding.UTF8.GetBytes(consumer))
        {
            if (b < 0x80 && (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'_' or (byte)'-'))
            {
                name.Append((char)b);
            }
            else
            {
                name.Append('.').Append(b.ToString("x2", CultureInfo.InvariantCulture));
            }
        }

        // File names stop at 255 bytes: a longer consumer name keeps a readable start and a hash of the whole.
        return name.Length <= 200
            ? name.ToString()
            : name.ToString(0, 120) + "~" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(consumer)));
    }

    private void CleanUpIfDue(DateTimeOffset now)
    {
        var due = Interlocked.Read(ref _nextCleanupTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextCleanupTicks, now.UtcTicks + _retention.Ticks, due) != due
            || Interlocked.Exchange(ref _cleaning, 1) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await RemoveExpiredAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The directory went away or is unreadable now; the claims themselves report that.
            }
            finally
            {
                Volatile.Write(ref _cleaning, 0);
            }
        });
    }

    private void Remember(string consumer, string messageId, string token) => _held[(consumer, messageId)] = token;

    private string? Forget(string consumer, string messageId) => _held.TryRemove((consumer, messageId), out var token) ? token : null;

    private readonly record struct ClaimPaths(string Folder, string Claim, string Handled);

    private readonly record struct Entry(DateTimeOffset At, string Token);
}

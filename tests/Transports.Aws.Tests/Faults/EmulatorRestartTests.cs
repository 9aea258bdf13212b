using System.Collections.Concurrent;
using Messaging.Adapters.Aws.Tests.Support;

namespace Messaging.Adapters.Aws.Tests.Faults;

/// <summary>
/// The emulator restarted mid-run (a private instance, so no other test is disturbed). fauxqs keeps nothing across a
/// restart, so this shows what a client can: sends during the outage fail loudly instead of being reported sent, the
/// consumer keeps polling through the outage, a send after the restart creates its queue again (and a consumer that
/// found the queue gone meanwhile stops with an error naming it), and no confirmed message is lost.
/// </summary>
[Trait("Category", "Fault")]
public sealed class EmulatorRestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_emulator_restart_loses_no_confirmed_message_and_fails_nothing_silently()
    {
        _ = EmulatorTransport.RunId;
        await using var emulator = new PrivateEmulator();
        await emulator.StartAsync(Ct);
        await using var transport = EmulatorTransport.Create(o =>
        {
            o.ServiceUrl = emulator.Endpoint;
            o.MaxErrorRetry = 1;
        });
        var queue = EmulatorTransport.UniqueName("restart");
        var handled = new ConcurrentDictionary<string, int>();
        MessageHandler handler = (m, _) =>
        {
            handled.AddOrUpdate(m.Envelope.Id, 1, (_, n) => n + 1);
            return ValueTask.CompletedTask;
        };
        var confirmed = new List<string>();
        var unconfirmed = new List<string>();

        var before = await transport.Queue.ConsumeAsync(queue, handler, null, Ct);
        await SendAsync(20, "before");
        await WaitForAsync(() => confirmed.All(handled.ContainsKey));

        await emulator.StopAsync();
        await SendAsync(5, "during");
        await Task.Delay(1000, Ct);
        Assert.False(before.Completion.IsCompleted, "the consumer should keep polling while the emulator is down");

        await emulator.StartAsync(Ct);
        await SendAsync(20, "after");

        // The restart took the queue away. The first send after it created the queue again (same name, same URL): a
        // consumer that polled in between stopped with an error naming the queue, and is replaced; one that did not
        // simply goes on.
        await Task.Delay(500, Ct);
        IConsumer? replacement = null;
        if (before.Completion.IsCompleted)
        {
            var stopped = await Assert.ThrowsAsync<AwsDestinationNotFoundException>(() => before.Completion);
            Assert.Equal(queue, stopped.Destination);
            replacement = await transport.Queue.ConsumeAsync(queue, handler, null, Ct);
        }

        await WaitForAsync(() => confirmed.All(handled.ContainsKey));
        await before.DisposeAsync();
        if (replacement is not null)
        {
            await replacement.DisposeAsync();
        }

        var lost = confirmed.Count(id => !handled.ContainsKey(id));
        var duplicates = handled.Values.Sum(n => n - 1);
        var unexpected = handled.Keys.Count(id => !confirmed.Contains(id) && !unconfirmed.Contains(id));
        TestContext.Current.TestOutputHelper?.WriteLine($"emulator restart: confirmed {confirmed.Count}, unconfirmed (send failed during the outage) {unconfirmed.Count}, handled {handled.Count}, lost {lost}, duplicates {duplicates}, unexpected {unexpected}");
        Assert.Equal(0, lost);
        Assert.Equal(0, unexpected);
        Assert.Equal(5, unconfirmed.Count);
        Assert.Equal(40, confirmed.Count);

        async Task SendAsync(int count, string phase)
        {
            for (var i = 0; i < count; i++)
            {
                var message = new Envelope("fault.restart", "m"u8.ToArray()) { Id = $"{queue}-{phase}-{i:D2}" };
                try
                {
                    await transport.Queue.SendAsync(queue, message, Ct);
                    confirmed.Add(message.Id);
                }
                catch (AwsServiceException ex) when (ex.IsTransient)
                {
                    unconfirmed.Add(message.Id);
                }
            }
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }
    }
}

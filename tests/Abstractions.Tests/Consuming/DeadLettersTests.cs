using Messaging.Adapters.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Adapters.Tests.Consuming;

public sealed class DeadLettersTests
{
    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddMessaging_registers_the_dead_letters_of_the_transport()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Messaging:Transport", "InMemory")]).Build();
        await using var provider = new ServiceCollection().AddMessaging(configuration).BuildServiceProvider();
        var queue = provider.GetRequiredService<IQueue>();
        await queue.SendAsync("payments.dead-letter", new Envelope("x", "{}"u8.ToArray()), TestToken);

        var count = await provider.GetRequiredService<IDeadLetters>().CountAsync("payments.dead-letter", TestToken);

        Assert.Equal(new QueueCount(1), count);
    }

    [Fact]
    public async Task Only_dead_letter_queues_are_accepted_and_bad_options_name_the_value()
    {
        await using var transport = new InMemoryTransport();
        var letters = new DeadLetters(transport);

        var notDeadLetters = await Assert.ThrowsAsync<ArgumentException>(() => letters.CountAsync("payments", TestToken));
        var tooMany = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => letters.PeekAsync("payments.dead-letter", 1001, TestToken));
        var limit = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => letters.RedriveAsync("payments.dead-letter", new DeadLetterRedriveOptions { MaxMessages = 0 }, TestToken));

        Assert.Contains("'.dead-letter'", notDeadLetters.Message, StringComparison.Ordinal);
        Assert.Equal("max", tooMany.ParamName);
        Assert.Contains("DeadLetterRedriveOptions.MaxMessages must be 1..1000000", limit.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redrive_of_an_empty_or_missing_dead_letter_queue_ends_at_once()
    {
        await using var transport = new InMemoryTransport();

        var result = await new DeadLetters(transport).RedriveAsync("nothing.dead-letter", cancellationToken: TestToken);

        Assert.Equal(RedriveEnd.Emptied, result.Ended);
        Assert.Empty(result.Redriven);
        Assert.Empty(result.Kept);
    }

    [Fact]
    public void Filters_must_all_hold()
    {
        var letter = new DeadLetter(new Envelope("order.placed", "{}"u8.ToArray()).WithHeader(EnvelopeHeaders.DeadLetterReason, "Timeout talking to payments"));

        Assert.True(new DeadLetterRedriveOptions { MessageTypes = ["order.placed"], ReasonContains = "TIMEOUT" }.Matches(letter));
        Assert.False(new DeadLetterRedriveOptions { MessageTypes = ["order.shipped"] }.Matches(letter));
        Assert.False(new DeadLetterRedriveOptions { ReasonContains = "declined" }.Matches(letter));
        Assert.False(new DeadLetterRedriveOptions { MessageTypes = ["order.placed"], Where = l => l.Attempts > 3 }.Matches(letter));
    }
}

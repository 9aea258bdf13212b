using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Adapters.Tests.Hosting;

public sealed class ConsumerRegistrationTests
{
    private static readonly Func<IServiceProvider, MessageHandler> Ignore = _ => (_, _) => ValueTask.CompletedTask;

    [Fact]
    public void Registering_a_consumer_checks_the_names_at_once()
    {
        var services = new ServiceCollection();

        var queue = Assert.Throws<ArgumentException>(() => services.AddQueueConsumer("bad queue", Ignore));
        var subscription = Assert.Throws<ArgumentException>(() => services.AddSubscription("orders", ".billing", Ignore));
        var stream = Assert.Throws<ArgumentException>(() => services.AddStreamReader("events", "reader group", Ignore));

        Assert.Equal("queue", queue.ParamName);
        Assert.Contains("'bad queue'", queue.Message, StringComparison.Ordinal);
        Assert.Contains("'.billing'", subscription.Message, StringComparison.Ordinal);
        Assert.Contains("Invalid reader group name 'reader group'", stream.Message, StringComparison.Ordinal);
        Assert.Empty(services);
    }

    [Fact]
    public void Registering_a_consumer_checks_its_options_at_once()
    {
        var services = new ServiceCollection();

        var queue = Assert.Throws<ArgumentOutOfRangeException>(() => services.AddQueueConsumer("orders", Ignore, new ConsumerOptions { MaxInFlight = 0 }));
        var subscription = Assert.Throws<ArgumentOutOfRangeException>(() => services.AddSubscription("orders", "billing", Ignore, new SubscriptionOptions { Retry = new RetryPolicy { MaxAttempts = 0 } }));
        var stream = Assert.Throws<ArgumentOutOfRangeException>(() => services.AddStreamReader("events", "audit", Ignore, new StreamReadOptions { CheckpointEvery = 0 }));

        Assert.Contains("MaxInFlight", queue.Message, StringComparison.Ordinal);
        Assert.Contains("MaxAttempts", subscription.Message, StringComparison.Ordinal);
        Assert.Contains("CheckpointEvery", stream.Message, StringComparison.Ordinal);
    }
}

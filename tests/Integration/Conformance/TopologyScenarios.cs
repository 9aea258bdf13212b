namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Names and provisioning: invalid names are refused with an <see cref="ArgumentException"/> naming them, ensuring
/// twice and deleting what does not exist are harmless, and deleting removes the messages with the destination.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class TopologyScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    /// <summary>Names that break <see cref="DestinationNames.Rule"/>, each for another reason.</summary>
    private static readonly string[] InvalidNames = ["bad name!", "", new string('a', DestinationNames.MaxLength + 1), ".x", "-x", "ключ", "a/b"];

    [Fact]
    public async Task Invalid_topic_subscription_and_queue_names_are_refused_naming_the_name()
    {
        var valid = Fixture.UniqueName("valid");
        var message = Fixture.NewMessage();
        var problems = new List<string>();
        foreach (var bad in InvalidNames)
        {
            await ExpectRefusedAsync(problems, bad, "PublishAsync(topic)", async () => await Transport.Publisher.PublishAsync(bad, message, Ct));
            await ExpectRefusedAsync(problems, bad, "PublishBatchAsync(topic)", async () => await Transport.Publisher.PublishBatchAsync(bad, [message], Ct));
            await ExpectRefusedAsync(problems, bad, "SubscribeAsync(topic)", async () => await (await Transport.Subscriber.SubscribeAsync(bad, valid, NeverCalled, null, Ct)).DisposeAsync());
            await ExpectRefusedAsync(problems, bad, "SubscribeAsync(subscription)", async () => await (await Transport.Subscriber.SubscribeAsync(valid, bad, NeverCalled, null, Ct)).DisposeAsync());
            await ExpectRefusedAsync(problems, bad, "SendAsync(queue)", async () => await Transport.Queue.SendAsync(bad, message, Ct));
            await ExpectRefusedAsync(problems, bad, "SendBatchAsync(queue)", async () => await Transport.Queue.SendBatchAsync(bad, [message], Ct));
            await ExpectRefusedAsync(problems, bad, "ConsumeAsync(queue)", async () => await (await Transport.Queue.ConsumeAsync(bad, NeverCalled, null, Ct)).DisposeAsync());
            await ExpectRefusedAsync(problems, bad, "Destination.Queue", () => Transport.Topology.EnsureAsync(Destination.Queue(bad), Ct));
            await ExpectRefusedAsync(problems, bad, "Destination.Topic", () => Transport.Topology.EnsureAsync(Destination.Topic(bad), Ct));
            await ExpectRefusedAsync(problems, bad, "Destination.ForSubscription", () => Transport.Topology.EnsureAsync(Destination.ForSubscription(valid, bad), Ct));
        }

        await CleanUpAsync(Destination.ForSubscription(valid, valid), Destination.Topic(valid), Destination.Queue(valid));
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task Invalid_stream_and_reader_group_names_are_refused_naming_the_name()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        var valid = Fixture.UniqueName("valid");
        var message = Fixture.NewMessage();
        var problems = new List<string>();
        foreach (var bad in InvalidNames)
        {
            await ExpectRefusedAsync(problems, bad, "AppendAsync(stream)", async () => await Transport.Stream.AppendAsync(bad, message, Ct));
            await ExpectRefusedAsync(problems, bad, "AppendBatchAsync(stream)", async () => await Transport.Stream.AppendBatchAsync(bad, [message], Ct));
            await ExpectRefusedAsync(problems, bad, "ReadAsync(stream)", async () => await (await Transport.Stream.ReadAsync(bad, valid, NeverCalled, null, Ct)).DisposeAsync());
            await ExpectRefusedAsync(problems, bad, "ReadAsync(readerGroup)", async () => await (await Transport.Stream.ReadAsync(valid, bad, NeverCalled, null, Ct)).DisposeAsync());
            await ExpectRefusedAsync(problems, bad, "Destination.Stream", () => Transport.Topology.EnsureAsync(Destination.Stream(bad), Ct));
        }

        await CleanUpAsync(Destination.Stream(valid));
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task Ensuring_topics_subscriptions_and_queues_twice_is_harmless_and_they_still_work()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("twice");
        var subscription = scope.NewSubscription(topic, "twice");
        var queue = scope.NewQueue("twice");
        foreach (var destination in new[] { Destination.Topic(topic), Destination.ForSubscription(topic, subscription), Destination.Queue(queue) })
        {
            await Transport.Topology.EnsureAsync(destination, Ct);
            await Transport.Topology.EnsureAsync(destination, Ct);
        }

        var published = Fixture.NewMessages(10);
        var sent = Fixture.NewMessages(10);
        await PublishAllAsync(topic, published);
        await SendAllAsync(queue, sent);
        var subscriptionLog = NewLog($"subscription {subscription}");
        var queueLog = NewLog($"queue {queue}");
        await scope.SubscribeAsync(topic, subscription, subscriptionLog.Handler);
        await scope.ConsumeAsync(queue, queueLog.Handler);

        // The subscription existed before the publish, so it kept the messages: ensuring it again did not reset it.
        await Task.WhenAll(
            subscriptionLog.AssertReceivesExactlyAsync(IdsOf(published), Fixture),
            queueLog.AssertReceivesExactlyAsync(IdsOf(sent), Fixture));
    }

    [Fact]
    public async Task Ensuring_a_stream_twice_is_harmless_and_it_still_works()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        await using var scope = Fixture.StartScenario();
        var stream = scope.NewStream("twice");
        await Transport.Topology.EnsureAsync(Destination.Stream(stream), Ct);
        var first = Fixture.NewMessages(5);
        await AppendAllAsync(stream, first);
        await Transport.Topology.EnsureAsync(Destination.Stream(stream), Ct);
        var second = Fixture.NewMessages(5);
        await AppendAllAsync(stream, second);

        var log = NewLog($"stream {stream}");
        await scope.ReadAsync(stream, scope.NewReaderGroup(stream), log.Handler);

        await log.AssertReceivesExactlyAsync(IdsOf([.. first, .. second]), Fixture);
    }

    [Fact]
    public async Task Deleting_what_does_not_exist_is_harmless_even_twice()
    {
        var topic = Fixture.UniqueName("never");
        var destinations = new[] { Destination.ForSubscription(topic, Fixture.UniqueName("never")), Destination.Topic(topic), Destination.Queue(Fixture.UniqueName("never")) };
        foreach (var destination in destinations)
        {
            await Transport.Topology.DeleteAsync(destination, Ct);
            await Transport.Topology.DeleteAsync(destination, Ct);
        }
    }

    [Fact]
    public async Task Deleting_a_stream_that_does_not_exist_is_harmless_even_twice()
    {
        Capability.Require(Fixture, nameof(TransportCapabilities.Streams));
        var stream = Destination.Stream(Fixture.UniqueName("never"));
        await Transport.Topology.DeleteAsync(stream, Ct);
        await Transport.Topology.DeleteAsync(stream, Ct);
    }

    [Fact]
    public async Task Deleting_a_queue_deletes_its_messages_and_it_can_be_used_again()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("deleted");
        await SendAllAsync(queue, Fixture.NewMessages(5));
        await Transport.Topology.DeleteAsync(Destination.Queue(queue), Ct);
        await Transport.Topology.DeleteAsync(Destination.Queue(queue), Ct);
        await Transport.Topology.EnsureAsync(Destination.Queue(queue), Ct);

        var log = NewLog($"queue {queue} after deletion");
        await scope.ConsumeAsync(queue, log.Handler);
        await log.AssertReceivesNothingAsync(Fixture);
        var fresh = Fixture.NewMessages(3);
        await SendAllAsync(queue, fresh);
        await log.AssertReceivesExactlyAsync(IdsOf(fresh), Fixture);
    }

    [Fact]
    public async Task Deleting_a_subscription_deletes_its_messages_and_it_can_be_created_again()
    {
        await using var scope = Fixture.StartScenario();
        var topic = scope.NewTopic("deleted");
        var subscription = scope.NewSubscription(topic, "deleted");
        await Transport.Topology.EnsureAsync(Destination.ForSubscription(topic, subscription), Ct);
        await PublishAllAsync(topic, Fixture.NewMessages(5));
        await Transport.Topology.DeleteAsync(Destination.ForSubscription(topic, subscription), Ct);
        await PublishAllAsync(topic, Fixture.NewMessages(5));

        var log = NewLog($"subscription {subscription} created again");
        await scope.SubscribeAsync(topic, subscription, log.Handler);
        await log.AssertReceivesNothingAsync(Fixture);
        var fresh = Fixture.NewMessages(3);
        await PublishAllAsync(topic, fresh);
        await log.AssertReceivesExactlyAsync(IdsOf(fresh), Fixture);
    }

    private static readonly MessageHandler NeverCalled = (message, _) =>
        throw new InvalidOperationException($"conformance: a consumer with an invalid name received {message.Envelope.Id}");

    private static async Task ExpectRefusedAsync(List<string> problems, string bad, string operation, Func<Task> action)
    {
        try
        {
            await action();
            problems.Add($"{operation} accepted the invalid name '{bad}'.");
        }
        catch (ArgumentException ex)
        {
            if (!ex.Message.Contains($"'{bad}'", StringComparison.Ordinal))
            {
                problems.Add($"{operation} refused '{bad}' without naming it: {ex.Message}");
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            problems.Add($"{operation} refused '{bad}' with {ex.GetType().Name} instead of ArgumentException: {ex.Message}");
        }
    }

    private async Task CleanUpAsync(params Destination[] destinations)
    {
        // Nothing should have been created; delete anyway in case a transport accepted a name it should not have.
        foreach (var destination in destinations)
        {
            await Transport.Topology.DeleteAsync(destination, Ct);
        }
    }
}

namespace Messaging.Adapters.Integration.Conformance;

/// <summary>
/// Stopping and disposing: a graceful stop finishes and acknowledges what is in flight, a cancelled stop or a
/// disposal releases unfinished messages for redelivery to another consumer, nothing is lost either way, stopping
/// is idempotent and safe from inside a handler, and a disposed transport refuses every operation.
/// </summary>
/// <typeparam name="TFixture">The transport's fixture.</typeparam>
/// <param name="fixture">The fixture.</param>
public abstract class ShutdownScenarios<TFixture>(TFixture fixture) : ConformanceScenarios<TFixture>(fixture)
    where TFixture : TransportFixture
{
    [Fact]
    public async Task A_graceful_stop_finishes_the_handlers_in_flight_and_a_new_consumer_gets_exactly_the_rest()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("graceful");
        var messages = Fixture.NewMessages(200);
        await SendAllAsync(queue, messages);
        var started = NewLog("handlers started by the first consumer");
        var finished = NewLog("handlers finished by the first consumer");
        var all = NewLog("both consumers");
        var first = await scope.ConsumeAsync(
            queue,
            async (message, cancellationToken) =>
            {
                started.Record(message);

                // Slow-ish work, so that several handlers are in flight when the stop comes.
                await Task.Delay(5, cancellationToken);
                finished.Record(message);
                all.Record(message);
            },
            new ConsumerOptions { MaxInFlight = 8 });

        await finished.WaitForCountAsync(50, Fixture.Timeout, Ct);
        using (var stopTimeout = new CancellationTokenSource(Fixture.Timeout))
        {
            await Within(first.StopAsync(stopTimeout.Token), "the graceful stop");
        }

        var startedIds = started.Ids;
        var finishedIds = finished.Ids;
        Assert.True(
            startedIds.SetEquals(finishedIds),
            $"StopAsync returned while handlers were unfinished: [{string.Join(", ", startedIds.Except(finishedIds))}]");
        Assert.True(finishedIds.Count < messages.Count, "The first consumer finished everything before the stop; the scenario needs a stop mid-way.");
        await Task.Delay(Fixture.QuietPeriod, Ct);
        Assert.Equal(startedIds.Count, started.Count);

        var second = NewLog("the consumer started afterwards");
        await scope.ConsumeAsync(
            queue,
            (message, _) =>
            {
                second.Record(message);
                all.Record(message);
                return ValueTask.CompletedTask;
            });

        await second.AssertReceivesExactlyAsync(IdsOf(messages.Where(m => !finishedIds.Contains(m.Id))), Fixture);
        all.AssertExactlyOnce(IdsOf(messages));
    }

    [Fact]
    public async Task A_stop_with_a_cancelled_token_releases_unfinished_messages_to_another_consumer()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("cancelled-stop");
        var entered = NewLog("handlers entered by the first consumer");
        var first = await scope.ConsumeAsync(queue, BlockUntilCancelled(entered), new ConsumerOptions { MaxInFlight = 3 });
        var messages = Fixture.NewMessages(3);
        await SendAllAsync(queue, messages);
        await entered.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);

        var other = await Fixture.ConnectAnotherAsync(Ct);
        var second = NewLog("the other consumer");
        await scope.ConsumeAsync(queue, second.Handler, on: other);
        await Within(first.StopAsync(new CancellationToken(canceled: true)), "the cancelled stop");

        await second.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        Assert.All(second.Deliveries, d => Assert.True(d.Redelivered, $"{d.Envelope.Id} was released unacknowledged, so its redelivery must say Redelivered."));
    }

    [Fact]
    public async Task Disposing_a_consumer_while_its_handler_is_blocked_releases_the_message()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("disposed-consumer");
        var entered = NewLog("handler entered");
        var consumer = await scope.ConsumeAsync(queue, BlockUntilCancelled(entered));
        var message = Fixture.NewMessage();
        await Transport.Queue.SendAsync(queue, message, Ct);
        await entered.WaitForAsync([message.Id], Fixture.Timeout, Ct);

        // Idempotent and safe to call concurrently, all while the handler is blocked.
        await Within(
            Task.WhenAll(consumer.DisposeAsync().AsTask(), consumer.DisposeAsync().AsTask(), consumer.StopAsync(Ct)),
            "the consumer to be disposed while its handler was blocked");

        var next = NewLog("the next consumer");
        await scope.ConsumeAsync(queue, next.Handler);
        await next.AssertReceivesExactlyAsync([message.Id], Fixture);
        Assert.True(next.Deliveries[0].Redelivered, "A message released by a disposed consumer must arrive with Redelivered set.");
    }

    [Fact]
    public async Task Stopping_from_inside_a_handler_does_not_wait_for_that_handler_and_loses_nothing()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("self-stop");
        var self = NewSignal<IConsumer>();
        var stopped = NewSignal();
        var all = NewLog("both consumers");
        var first = await scope.ConsumeAsync(
            queue,
            async (message, cancellationToken) =>
            {
                var me = await self.Task.WaitAsync(cancellationToken);
                await me.StopAsync(CancellationToken.None);
                stopped.TrySetResult();
                all.Record(message);
            },
            new ConsumerOptions { MaxInFlight = 1 });
        self.SetResult(first);
        var messages = Fixture.NewMessages(5);
        await SendAllAsync(queue, messages);

        await Within(stopped.Task, "StopAsync called from inside a handler to return");
        await Within(first.StopAsync(Ct), "StopAsync called again from outside");
        await scope.ConsumeAsync(queue, all.Handler);

        await all.WaitForAsync(IdsOf(messages), Fixture.Timeout, Ct);
        await Task.Delay(Fixture.QuietPeriod, Ct);
        var difference = all.Compare(IdsOf(messages));
        Assert.True(difference.Missing.Count == 0 && difference.Unexpected.Count == 0, $"Stopping from inside a handler lost messages: {difference}");

        // The one message whose handler stopped the consumer may come again (at least once); nothing else may.
        Assert.True(difference.ExtraDeliveries <= 1, $"Too many duplicates: {difference}");
    }

    [Fact]
    public async Task Disposing_a_transport_mid_handling_releases_its_messages_to_another_connection()
    {
        await using var scope = Fixture.StartScenario();
        var queue = scope.NewQueue("crashed");
        var doomed = await Fixture.ConnectAnotherAsync(Ct);
        Assert.NotSame(Transport, doomed);
        var entered = NewLog("handlers entered on the doomed transport");
        await doomed.Queue.ConsumeAsync(queue, BlockUntilCancelled(entered), new ConsumerOptions { MaxInFlight = 4 }, Ct);
        var messages = Fixture.NewMessages(4);
        await SendAllAsync(queue, messages);
        await entered.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        var survivor = NewLog("consumer on the surviving transport");
        await scope.ConsumeAsync(queue, survivor.Handler);

        await Within(doomed.DisposeAsync().AsTask(), "the transport to be disposed while its handlers were blocked");

        await survivor.AssertReceivesExactlyAsync(IdsOf(messages), Fixture);
        Assert.All(survivor.Deliveries, d => Assert.True(d.Redelivered, $"{d.Envelope.Id} must arrive with Redelivered set."));
    }

    [Fact]
    public async Task A_disposed_transport_refuses_every_operation_with_ObjectDisposedException()
    {
        var transport = await Fixture.CreateStandaloneTransportAsync(Ct);
        var topic = Fixture.UniqueName("disposed");
        var queue = Fixture.UniqueName("disposed");
        var stream = Fixture.UniqueName("disposed");
        // Consuming creates the queue (and its dead-letter queue) on the broker: the fixture deletes them afterwards.
        Fixture.Register(Destination.Queue(queue));
        var consumer = await transport.Queue.ConsumeAsync(queue, NewLog("consumer of the disposed transport").Handler, null, Ct);
        var message = Fixture.NewMessage();
        var ignore = NewLog("never").Handler;

        await Within(transport.DisposeAsync().AsTask(), "the transport to be disposed");
        await Within(transport.DisposeAsync().AsTask(), "the transport to be disposed a second time");
        await Within(consumer.StopAsync(Ct), "a consumer of the disposed transport to stop");
        await Within(consumer.DisposeAsync().AsTask(), "a consumer of the disposed transport to be disposed");

        var problems = new List<string>();
        await ExpectDisposedAsync(problems, "Publisher.PublishAsync", async () => await transport.Publisher.PublishAsync(topic, message, Ct));
        await ExpectDisposedAsync(problems, "Publisher.PublishBatchAsync", async () => await transport.Publisher.PublishBatchAsync(topic, [message], Ct));
        await ExpectDisposedAsync(problems, "Subscriber.SubscribeAsync", () => transport.Subscriber.SubscribeAsync(topic, "sub", ignore, null, Ct));
        await ExpectDisposedAsync(problems, "Queue.SendAsync", async () => await transport.Queue.SendAsync(queue, message, Ct));
        await ExpectDisposedAsync(problems, "Queue.SendBatchAsync", async () => await transport.Queue.SendBatchAsync(queue, [message], Ct));
        await ExpectDisposedAsync(problems, "Queue.ConsumeAsync", () => transport.Queue.ConsumeAsync(queue, ignore, null, Ct));
        await ExpectDisposedAsync(problems, "Topology.EnsureAsync", () => transport.Topology.EnsureAsync(Destination.Queue(queue), Ct));
        await ExpectDisposedAsync(problems, "Topology.DeleteAsync", () => transport.Topology.DeleteAsync(Destination.Queue(queue), Ct));
        if (Fixture.Capabilities.Streams)
        {
            await ExpectDisposedAsync(problems, "Stream.AppendAsync", async () => await transport.Stream.AppendAsync(stream, message, Ct));
            await ExpectDisposedAsync(problems, "Stream.AppendBatchAsync", async () => await transport.Stream.AppendBatchAsync(stream, [message], Ct));
            await ExpectDisposedAsync(problems, "Stream.ReadAsync", () => transport.Stream.ReadAsync(stream, "group", ignore, null, Ct));
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private static MessageHandler BlockUntilCancelled(DeliveryLog entered) => async (message, cancellationToken) =>
    {
        entered.Record(message);
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
    };

    private static async Task ExpectDisposedAsync(List<string> problems, string operation, Func<Task> action)
    {
        try
        {
            await action();
            problems.Add($"{operation} succeeded on a disposed transport.");
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            problems.Add($"{operation} on a disposed transport threw {ex.GetType().Name} instead of ObjectDisposedException: {ex.Message}");
        }
    }
}

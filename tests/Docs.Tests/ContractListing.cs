using System.Reflection;

// The README's listing of the contract, compiled in a namespace of its own and compared with the real interfaces.
namespace Messaging.Adapters.Docs.Listing
{
    // snippet: contract
    public interface IPublisher   // publish/subscribe: every subscription gets its own copy
    {
        ValueTask PublishAsync(string topic, Envelope message, CancellationToken ct = default);
        ValueTask PublishBatchAsync(string topic, IReadOnlyList<Envelope> messages, CancellationToken ct = default);
    }
    public interface ISubscriber  // named durable subscriptions; consumers of one subscription compete
    {
        Task<IConsumer> SubscribeAsync(string topic, string subscription, MessageHandler handler,
                                       SubscriptionOptions? options = null, CancellationToken ct = default);
    }
    public interface IQueue       // point-to-point: each message to exactly one consumer
    {
        ValueTask SendAsync(string queue, Envelope message, CancellationToken ct = default);
        ValueTask SendBatchAsync(string queue, IReadOnlyList<Envelope> messages, CancellationToken ct = default);
        Task<IConsumer> ConsumeAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken ct = default);
    }
    public interface IStream      // replayable log: reader groups, positions, checkpoints
    {
        ValueTask AppendAsync(string stream, Envelope message, CancellationToken ct = default);
        ValueTask AppendBatchAsync(string stream, IReadOnlyList<Envelope> messages, CancellationToken ct = default);
        Task<IConsumer> ReadAsync(string stream, string readerGroup, MessageHandler handler,
                                  StreamReadOptions? options = null, CancellationToken ct = default);
    }
    public delegate ValueTask MessageHandler(ReceivedMessage message, CancellationToken ct);
    // end snippet
}

namespace Messaging.Adapters.Docs
{
    public sealed class ContractListingTests
    {
        [Theory]
        [InlineData(typeof(Listing.IPublisher), typeof(IPublisher))]
        [InlineData(typeof(Listing.ISubscriber), typeof(ISubscriber))]
        [InlineData(typeof(Listing.IQueue), typeof(IQueue))]
        [InlineData(typeof(Listing.IStream), typeof(IStream))]
        [InlineData(typeof(Listing.MessageHandler), typeof(MessageHandler))]
        public void The_README_lists_every_member_of_the_contract_as_it_is(Type listed, Type real)
        {
            // Parameter names may be shortened in the listing (ct); types, optional parameters and members may not.
            Assert.Equal(Members(real), Members(listed));
        }

        private static List<string> Members(Type type) =>
            type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => !typeof(Delegate).IsAssignableFrom(type) || m.Name == "Invoke")
                .Select(m => $"{Name(m.ReturnType)} {m.Name}({string.Join(", ", m.GetParameters().Select(p => Name(p.ParameterType) + (p.IsOptional ? " = default" : "")))})")
                .Order(StringComparer.Ordinal)
                .ToList();

        private static string Name(Type type) =>
            type.IsGenericType ? $"{type.Name}<{string.Join(", ", type.GetGenericArguments().Select(Name))}>" : type.Name;
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Messaging.Adapters.Tests.Hosting.TypedConsumerTests;

namespace Messaging.Adapters.Tests.RequestReply;

public sealed class TypedRequestReplyTests
{
    private static CancellationToken TestToken => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_request_client_from_DI_gets_the_typed_response_of_a_hosted_responder()
    {
        using var host = BuildHost(services => services.AddResponder<QuoteRequest, Quote, Quoter>("quotes"));
        await host.StartAsync(TestToken);
        var client = host.Services.GetRequiredService<IRequestClient>();

        var first = await client.GetResponseAsync<QuoteRequest, Quote>("quotes", new QuoteRequest("book", 2), cancellationToken: TestToken);
        var second = await client.GetResponseAsync<QuoteRequest, Quote>("quotes", new QuoteRequest("pen", 3), cancellationToken: TestToken);

        Assert.Equal(new Quote("book", 20m), first);
        Assert.Equal(new Quote("pen", 30m), second);
        Assert.Same(client, host.Services.GetRequiredService<IRequestClient>());
        await host.StopAsync(TestToken);
    }

    [Fact]
    public async Task Without_a_response_the_request_times_out_after_Messaging_RequestTimeout()
    {
        using var host = BuildHost(
            services => services.AddQueueConsumer("quotes", _ => (_, _) => ValueTask.CompletedTask),
            ("Messaging:RequestTimeout", "00:00:00.200"));
        await host.StartAsync(TestToken);
        var client = host.Services.GetRequiredService<IRequestClient>();

        var error = await Assert.ThrowsAsync<RequestTimeoutException>(() => client.GetResponseAsync<QuoteRequest, Quote>("quotes", new QuoteRequest("book", 1), cancellationToken: TestToken));

        Assert.Equal(TimeSpan.FromMilliseconds(200), error.Timeout);
        await host.StopAsync(TestToken);
    }

    [Fact]
    public async Task A_bad_request_timeout_stops_start_up_naming_its_key()
    {
        using var host = BuildHost(_ => { }, ("Messaging:RequestTimeout", "00:00:00"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestToken));

        Assert.Contains("Messaging:RequestTimeout must be 00:00:00.001..01:00:00, was 00:00:00.", error.Message, StringComparison.Ordinal);
    }

    [MessageType("tests.quote-request")]
    internal sealed record QuoteRequest(string Sku, int Quantity);

    [MessageType("tests.quote")]
    internal sealed record Quote(string Sku, decimal Price);

    internal sealed class Quoter : IRequestHandler<QuoteRequest, Quote>
    {
        public ValueTask<Quote> HandleAsync(QuoteRequest request, ReceivedMessage context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new Quote(request.Sku, request.Quantity * 10m));
    }
}

using System.Diagnostics;

namespace Messaging.Adapters.Tests.Telemetry;

/// <summary>Writing and reading the trace context headers.</summary>
public sealed class TraceContextTests
{
    private const string Parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public void Injecting_replaces_a_carried_context_and_drops_a_state_that_belonged_to_it()
    {
        using var activity = new Activity("send").SetIdFormat(ActivityIdFormat.W3C).Start();
        var carried = new Envelope("t", ReadOnlyMemory<byte>.Empty).WithHeaders(
        [
            new(MessagingTelemetry.TraceParentHeader, Parent),
            new(MessagingTelemetry.TraceStateHeader, "old=1"),
            new("other", "kept"),
        ]);

        var injected = TraceContext.Inject(carried, activity);

        Assert.Equal(activity.Id, injected.Headers[MessagingTelemetry.TraceParentHeader]);
        Assert.False(injected.Headers.ContainsKey(MessagingTelemetry.TraceStateHeader));
        Assert.Equal("kept", injected.Headers["other"]);
        Assert.Equal(Parent, carried.Headers[MessagingTelemetry.TraceParentHeader]);
    }

    [Fact]
    public void Injecting_writes_the_state_and_returns_the_same_envelope_when_nothing_changes()
    {
        using var activity = new Activity("send").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "vendor=1";
        var injected = TraceContext.Inject(new Envelope("t", ReadOnlyMemory<byte>.Empty), activity);

        Assert.Equal("vendor=1", injected.Headers[MessagingTelemetry.TraceStateHeader]);
        Assert.Same(injected, TraceContext.Inject(injected, activity));
    }

    [Fact]
    public void Nothing_is_injected_without_an_activity_or_from_a_hierarchical_id()
    {
        var message = new Envelope("t", ReadOnlyMemory<byte>.Empty);
        using var hierarchical = new Activity("send").SetIdFormat(ActivityIdFormat.Hierarchical).Start();

        Assert.Same(message, TraceContext.Inject(message, null));
        Assert.Same(message, TraceContext.Inject(message, hierarchical));
    }

    [Theory]
    [InlineData(MessagingTelemetry.TraceParentHeader, Parent, true)]
    [InlineData("ce-traceparent", Parent, true)]
    [InlineData(MessagingTelemetry.TraceParentHeader, "", false)]
    [InlineData(MessagingTelemetry.TraceParentHeader, "00-00000000000000000000000000000000-b7ad6b7169203331-01", false)]
    [InlineData("unrelated", Parent, false)]
    public void Extracting_reads_our_header_or_the_CloudEvents_extension_and_refuses_an_invalid_context(string header, string value, bool found)
    {
        var message = new Envelope("t", ReadOnlyMemory<byte>.Empty).WithHeader(header, value);

        Assert.Equal(found, TraceContext.TryExtract(message, out var context));
        if (found)
        {
            Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
            Assert.True(context.IsRemote);
        }
    }
}

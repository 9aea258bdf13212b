using System.Text;
using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Tests.Transport;

public sealed class IncomingEnvelopeTests
{
    [Fact]
    public void Structured_mode_with_data_base64_gives_the_bytes_and_the_declared_content_type()
    {
        var json = """{"specversion":"1.0","id":"e-1","source":"urn:x","type":"x.happened","datacontenttype":"application/octet-stream","data_base64":"AAEC/w=="}""";
        var incoming = new IncomingEnvelope(Encoding.UTF8.GetBytes(json), "default.type") { ContentType = "application/cloudevents+json" };

        var envelope = incoming.Build();

        Assert.Equal("e-1", envelope.Id);
        Assert.Equal("x.happened", envelope.Type);
        Assert.Equal("application/octet-stream", envelope.ContentType);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, envelope.Body.ToArray());
        Assert.Equal("urn:x", envelope.Headers[CloudEventHeaders.Source]);
    }

    [Fact]
    public void Structured_mode_with_text_data_of_a_non_JSON_type_gives_the_text()
    {
        var json = """{"specversion":"1.0","id":"e-2","source":"urn:x","type":"x.said","datacontenttype":"text/plain","data":"hello"}""";

        var envelope = new IncomingEnvelope(Encoding.UTF8.GetBytes(json), "default.type") { ContentType = "application/cloudevents+json; charset=utf-8" }.Build();

        Assert.Equal("hello", Encoding.UTF8.GetString(envelope.Body.Span));
        Assert.Equal("text/plain", envelope.ContentType);
    }

    [Fact]
    public void A_structured_content_type_over_a_body_that_is_not_JSON_is_delivered_as_it_is()
    {
        var envelope = new IncomingEnvelope("not json"u8.ToArray(), "default.type") { ContentType = "application/cloudevents+json", MessageId = "m-1" }.Build();

        Assert.Equal("m-1", envelope.Id);
        Assert.Equal("default.type", envelope.Type);
        Assert.Equal("not json", Encoding.UTF8.GetString(envelope.Body.Span));
    }

    [Fact]
    public void Without_any_id_the_id_is_a_hash_of_the_content_the_same_each_time_and_different_for_other_content()
    {
        Envelope Read(string body, string header)
        {
            var incoming = new IncomingEnvelope(Encoding.UTF8.GetBytes(body), "t") { Timestamp = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000) };
            incoming.AddHeader("h", header);
            return incoming.Build();
        }

        Assert.Equal(Read("a", "1").Id, Read("a", "1").Id);
        Assert.NotEqual(Read("a", "1").Id, Read("b", "1").Id);
        Assert.NotEqual(Read("a", "1").Id, Read("a", "2").Id);
        Assert.Matches("^[0-9a-f]{32}$", Read("a", "1").Id);
    }

    [Fact]
    public void The_attempt_header_is_kept_only_when_the_adapter_vouches_for_it()
    {
        var foreign = new IncomingEnvelope("x"u8.ToArray(), "t") { MessageId = "m" };
        foreign.AddHeader(EnvelopeHeaders.Attempt, "999");
        var ours = new IncomingEnvelope("x"u8.ToArray(), "t") { MessageId = "m", TrustsAttempt = true };
        ours.AddHeader(EnvelopeHeaders.Attempt, "2");

        Assert.Equal(1, DeliveryAttempts.NextAttempt(foreign.Build()));
        Assert.Equal(3, DeliveryAttempts.NextAttempt(ours.Build()));
    }

    [Theory]
    [InlineData((sbyte)-5, "-5")]
    [InlineData(3.25f, "3.25")]
    [InlineData(1e300, "1E+300")]
    [InlineData(false, "false")]
    [InlineData(null, "")]
    public void Header_values_have_one_documented_string_form(object? value, string expected) =>
        Assert.Equal(expected, HeaderText.Format(value));

    [Fact]
    public void Decimals_timestamps_bytes_and_nested_values_have_their_documented_forms()
    {
        Assert.Equal("12.50", HeaderText.Format(12.50m));
        Assert.Equal("2026-11-30T14:00:00.5Z", HeaderText.Format(new DateTimeOffset(2026, 11, 30, 15, 0, 0, 500, TimeSpan.FromHours(1))));
        Assert.Equal("base64:/w==", HeaderText.Format(new byte[] { 0xFF }));
        Assert.Equal("""{"a":[1,"b",null,{"c":true}]}""", HeaderText.Format(new Dictionary<string, object?> { ["a"] = new List<object?> { 1, Encoding.UTF8.GetBytes("b"), null, new Dictionary<string, object?> { ["c"] = true } } }));
    }
}

namespace Messaging.Adapters.Tests.Consuming;

public sealed class DeliveryAttemptsTests
{
    private static readonly Envelope Fresh = new("order.placed", "{}"u8.ToArray());

    [Fact]
    public void A_message_never_tried_is_on_its_first_attempt()
    {
        Assert.Equal(1, DeliveryAttempts.NextAttempt(Fresh));
    }

    [Theory]
    [InlineData("0", 1)]
    [InlineData("1", 2)]
    [InlineData("4", 5)]
    [InlineData("999", 1000)]
    [InlineData("2147483646", int.MaxValue)]
    public void The_next_attempt_is_one_more_than_the_attempts_recorded(string recorded, int expected)
    {
        Assert.Equal(expected, DeliveryAttempts.NextAttempt(Fresh.WithHeader(EnvelopeHeaders.Attempt, recorded)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("three")]
    [InlineData("-1")]
    [InlineData("+3")]
    [InlineData(" 3")]
    [InlineData("3 ")]
    [InlineData("3.0")]
    [InlineData("1,000")]
    [InlineData("0x10")]
    [InlineData("٣")] // an Arabic-Indic digit: a number to char.IsDigit, not to the invariant parser
    [InlineData("2147483647")] // int.MaxValue attempts made: the next would overflow
    [InlineData("99999999999")]
    public void A_garbage_attempt_header_counts_as_a_first_attempt(string recorded)
    {
        Assert.Equal(1, DeliveryAttempts.NextAttempt(Fresh.WithHeader(EnvelopeHeaders.Attempt, recorded)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    public void Record_writes_the_count_that_NextAttempt_reads_back(int attemptsMade)
    {
        var recorded = DeliveryAttempts.Record(Fresh, attemptsMade);

        Assert.Equal(attemptsMade.ToString(System.Globalization.CultureInfo.InvariantCulture), recorded.Headers[EnvelopeHeaders.Attempt]);
        Assert.Equal(attemptsMade + 1, DeliveryAttempts.NextAttempt(recorded));
    }

    [Fact]
    public void Record_replaces_an_earlier_count_and_leaves_the_original_envelope_alone()
    {
        var once = DeliveryAttempts.Record(Fresh.WithHeader("tenant", "acme"), 2);

        var twice = DeliveryAttempts.Record(once, 4);

        Assert.Equal("4", twice.Headers[EnvelopeHeaders.Attempt]);
        Assert.Equal("2", once.Headers[EnvelopeHeaders.Attempt]);
        Assert.Equal("acme", twice.Headers["tenant"]);
        Assert.Equal(Fresh.Id, twice.Id);
        Assert.Empty(Fresh.Headers);
    }

    [Fact]
    public void Both_reject_a_null_envelope()
    {
        Assert.Throws<ArgumentNullException>(() => DeliveryAttempts.NextAttempt(null!));
        Assert.Throws<ArgumentNullException>(() => DeliveryAttempts.Record(null!, 1));
    }
}

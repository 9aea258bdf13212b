namespace Messaging.Adapters.Tests.Naming;

public sealed class DestinationNamesTests
{
    [Theory]
    [InlineData("orders")]
    [InlineData("o")]
    [InlineData("Orders.EU-west_1")]
    [InlineData("0rders")]
    [InlineData("_private")]
    [InlineData("orders.")]
    [InlineData("a..b")]
    public void Names_made_of_the_portable_characters_are_valid(string name)
    {
        Assert.True(DestinationNames.IsValid(name));
        DestinationNames.Validate(name, "queue", "queue");
    }

    [Fact]
    public void A_name_of_exactly_the_maximum_length_is_valid()
    {
        var name = new string('q', DestinationNames.MaxNameLength);

        Assert.True(DestinationNames.IsValid(name));
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData(".orders", "it starts with '.'")]
    [InlineData("-orders", "it starts with '-'")]
    [InlineData("my orders", "the character ' ' at position 2 is not allowed")]
    [InlineData("orders ", "the character ' ' at position 6 is not allowed")]
    [InlineData("café", "the character 'é' at position 3 is not allowed")]
    [InlineData("заказы", "the character 'з' at position 0 is not allowed")]
    [InlineData("orders/eu", "the character '/' at position 6 is not allowed")]
    [InlineData("orders:eu", "the character ':' at position 6 is not allowed")]
    [InlineData("orders*", "the character '*' at position 6 is not allowed")]
    public void Invalid_names_are_rejected_naming_the_name_the_problem_and_the_rule(string name, string problem)
    {
        Assert.False(DestinationNames.IsValid(name));

        var ex = Assert.Throws<ArgumentException>(() => DestinationNames.Validate(name, "topic", "topicName"));

        Assert.Equal("topicName", ex.ParamName);
        Assert.StartsWith($"Invalid topic name '{name}': {problem}.", ex.Message, StringComparison.Ordinal);
        Assert.Contains(DestinationNames.Rule, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_one_over_the_maximum_length_is_rejected_with_its_length()
    {
        var name = new string('q', DestinationNames.MaxNameLength + 1);

        var ex = Assert.Throws<ArgumentException>(() => DestinationNames.Validate(name, "queue", "queue"));

        Assert.Contains($"'{name}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("169 characters long, over the limit of 168 (200 less the 32 kept for the names the library derives from it, such as '<name>.dead-letter')", ex.Message, StringComparison.Ordinal);
        Assert.False(DestinationNames.IsValid(name));
    }

    [Fact]
    public void A_null_name_is_an_ArgumentNullException_and_not_valid()
    {
        var ex = Assert.Throws<ArgumentNullException>(() => DestinationNames.Validate(null!, "stream", "stream"));

        Assert.Equal("stream", ex.ParamName);
        Assert.False(DestinationNames.IsValid(null));
    }

    [Fact]
    public void A_subscription_queue_is_the_topic_and_the_subscription_joined_by_a_dot()
    {
        Assert.Equal("orders.billing", DestinationNames.SubscriptionQueue("orders", "billing"));
    }

    [Fact]
    public void A_subscription_queue_checks_each_part_and_names_the_bad_one()
    {
        var badTopic = Assert.Throws<ArgumentException>(() => DestinationNames.SubscriptionQueue("or ders", "billing"));
        var badSubscription = Assert.Throws<ArgumentException>(() => DestinationNames.SubscriptionQueue("orders", "-billing"));

        Assert.Equal("topic", badTopic.ParamName);
        Assert.StartsWith("Invalid topic name 'or ders'", badTopic.Message, StringComparison.Ordinal);
        Assert.Equal("subscription", badSubscription.ParamName);
        Assert.StartsWith("Invalid subscription name '-billing'", badSubscription.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_subscription_queue_must_fit_the_length_limit_as_a_whole()
    {
        var topic = new string('t', 100);
        var fits = new string('s', 67);     // 100 + 1 + 67 = 168
        var tooLong = new string('s', 68); // 169

        Assert.Equal(168, DestinationNames.SubscriptionQueue(topic, fits).Length);
        var ex = Assert.Throws<ArgumentException>(() => DestinationNames.SubscriptionQueue(topic, tooLong));
        Assert.StartsWith($"Invalid subscription queue name '{topic}.{tooLong}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("over the limit of 168", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dead_letter_queue_is_the_queue_with_the_dead_letter_suffix()
    {
        Assert.Equal("payments.dead-letter", DestinationNames.DeadLetterQueue("payments"));
        Assert.Equal("orders.billing.dead-letter", DestinationNames.DeadLetterQueue(DestinationNames.SubscriptionQueue("orders", "billing")));
    }

    [Fact]
    public void Every_name_derived_from_a_valid_name_is_valid_and_within_the_overall_limit()
    {
        var queue = new string('p', DestinationNames.MaxNameLength);

        var deadLetters = DestinationNames.DeadLetterQueue(queue);
        var theirs = DestinationNames.DeadLetterQueue(deadLetters);

        // The dead-letter queue is itself consumed (to redrive) and sent to, so it must be a valid queue name.
        Assert.True(DestinationNames.IsValid(deadLetters), deadLetters);
        DestinationNames.Validate(deadLetters, "queue", "queue");
        Assert.True(theirs.Length <= DestinationNames.MaxLength, $"{theirs.Length}");
        Assert.True(deadLetters.Length + ".active-consumer".Length <= DestinationNames.MaxLength);
        var source = DestinationNames.ReaderGroupSource(new string('s', 100), new string('g', 67));
        Assert.True((source + ".checkpoint").Length <= DestinationNames.MaxLength);
    }

    [Fact]
    public void A_200_character_name_is_refused_up_front_naming_the_shorter_limit()
    {
        var name = new string('q', 200);

        var ex = Assert.Throws<ArgumentException>(() => DestinationNames.Validate(name, "queue", "queue"));

        Assert.Contains("over the limit of 168", ex.Message, StringComparison.Ordinal);
        Assert.Contains(".dead-letter", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stream_reader_group_is_checked_as_a_whole()
    {
        var ex = Assert.Throws<ArgumentException>(() => DestinationNames.ReaderGroupSource(new string('s', 100), new string('g', 68)));

        Assert.Equal("readerGroup", ex.ParamName);
        Assert.Contains("over the limit of 168", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dead_letter_queue_of_an_invalid_queue_is_rejected_as_a_queue_name()
    {
        var ex = Assert.Throws<ArgumentException>(() => DestinationNames.DeadLetterQueue("pay ments"));

        Assert.StartsWith("Invalid queue name 'pay ments'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Destinations_validate_their_names()
    {
        Assert.Throws<ArgumentException>(() => Destination.Topic(""));
        Assert.Throws<ArgumentException>(() => Destination.Queue(".q"));
        Assert.Throws<ArgumentException>(() => Destination.Stream("s s"));
        Assert.Throws<ArgumentException>(() => Destination.ForSubscription(new string('t', 150), new string('s', 60)));
        Assert.Equal("subscription 'billing' of topic 'orders'", Destination.ForSubscription("orders", "billing").ToString());
        Assert.Equal("queue 'payments'", Destination.Queue("payments").ToString());
    }
}
